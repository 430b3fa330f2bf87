package dubbo

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"sync"
	"time"
)

// Backoff bounds of reconnection.
const (
	minBackoff = 100 * time.Millisecond
	maxBackoff = 10 * time.Second
	// stableAfter is how long a connection must live for the backoff to
	// start again from minBackoff.
	stableAfter = 5 * time.Second
)

// Client states.
type clientState uint8

const (
	stateIdle       clientState = iota // never dialled: no goroutine, no connection
	stateConnecting                    // dialling; calls wait
	stateReady                         // a connection is up
	stateFailed                        // the last dial failed or the connection died; calls fail at once until retryAt
	stateClosed
)

// clientSettings are the connection-level parameters of a client, read from
// the URL of the first invoker that made it.
type clientSettings struct {
	payload          int
	heartbeat        time.Duration
	heartbeatTimeout time.Duration
	connectTimeout   time.Duration
}

// client holds the connection to one provider address. It connects
// lazily: nothing is dialled, and no goroutine runs, until a call needs the
// connection. While a connection is up one goroutine reads it (and one
// sends its heartbeats). A dial that fails puts the address in a backoff
// window (100 ms doubling to 10 s, ±20%): calls in it fail at once, the
// failure is logged once, and the first call after it dials again. A
// connection that was up and is lost is redialled once in the background;
// if that fails the client waits for a call like an idle one. So providers
// that are never picked cost no goroutine, no socket and no log line.
type client struct {
	proto *Protocol // immutable
	addr  string    // immutable
	clientSettings

	wg sync.WaitGroup // the connect goroutine

	mu         sync.Mutex // guards the fields below
	state      clientState
	cur        *clientConn   // the connection when state is stateReady
	lastErr    error         // why the state is stateFailed
	retryAt    int64         // nanotime before which no dial starts (stateFailed)
	backoff    time.Duration // the next backoff window, 0 before the first failure
	running    bool          // the connect goroutine runs
	cancelDial context.CancelFunc
	changed    chan struct{} // closed and cleared on every state change; made by a waiter
}

func newClient(p *Protocol, addr string, s clientSettings) *client {
	return &client{proto: p, addr: addr, clientSettings: s}
}

// logger returns the client's logger, looked up at each use.
func (c *client) logger() *slog.Logger { return c.proto.logger().With("address", c.addr) }

// setLocked changes the state and wakes the waiters; c.mu is held.
func (c *client) setLocked(st clientState, cur *clientConn, err error) {
	c.state, c.cur, c.lastErr = st, cur, err
	if c.changed != nil {
		close(c.changed)
		c.changed = nil
	}
}

// startLocked starts the connect goroutine; c.mu is held.
func (c *client) startLocked() {
	if c.running {
		return // it redials by itself
	}
	if c.cancelDial != nil {
		c.cancelDial()
	}
	ctx, cancel := context.WithCancel(context.Background())
	c.cancelDial, c.running = cancel, true
	c.setLocked(stateConnecting, nil, nil)
	c.wg.Add(1)
	go c.run(ctx)
}

// run dials, serves the connection while it lives and, after it was lost,
// redials once; then it ends, leaving the client failed or closed.
func (c *client) run(ctx context.Context) {
	defer c.wg.Done() // running stays true once closed, which is final
	for redial := false; ; redial = true {
		if redial {
			c.mu.Lock()
			if c.state == stateClosed {
				c.mu.Unlock()
				return
			}
			c.setLocked(stateConnecting, nil, nil)
			c.mu.Unlock()
		}
		nc, err := c.dial(ctx)
		if err != nil {
			c.failed(err, "connect failed", true)
			return
		}
		cc := newClientConn(c, nc)
		c.mu.Lock()
		if c.state == stateClosed {
			c.mu.Unlock()
			_ = nc.Close()
			return
		}
		c.setLocked(stateReady, cc, nil)
		c.mu.Unlock()
		c.logger().Debug("connected", "local", nc.LocalAddr().String())
		started := time.Now()
		err = cc.serve()
		c.mu.Lock()
		if c.state == stateClosed {
			c.mu.Unlock()
			return
		}
		if time.Since(started) > stableAfter {
			c.backoff = 0
		}
		c.mu.Unlock()
		c.logger().Warn("connection lost", "error", err)
		c.failed(fmt.Errorf("connection lost: %w", err), "", false)
		if !sleep(ctx, jitter(minBackoff)) {
			return
		}
	}
}

// failed records err and opens the next backoff window, logging msg (when
// set) once for it. exiting tells that the connect goroutine ends: a call
// after the window then starts another.
func (c *client) failed(err error, msg string, exiting bool) {
	c.mu.Lock()
	if exiting {
		c.running = false
	}
	if c.state == stateClosed {
		c.mu.Unlock()
		return
	}
	c.backoff = min(max(2*c.backoff, minBackoff), maxBackoff)
	window := jitter(c.backoff)
	c.retryAt = nanotime() + int64(window)
	c.setLocked(stateFailed, nil, err)
	c.mu.Unlock()
	if msg != "" {
		c.logger().Warn(msg, "error", err, "retry_in", window)
	}
}

func (c *client) dial(ctx context.Context) (net.Conn, error) {
	dctx, cancel := context.WithTimeout(ctx, c.connectTimeout)
	defer cancel()
	nc, err := c.proto.dial(dctx, "tcp", c.addr)
	if err != nil {
		return nil, err
	}
	if tc, ok := nc.(*net.TCPConn); ok {
		_ = tc.SetNoDelay(true)
	}
	return nc, nil
}

// jitter spreads d by ±20%.
func jitter(d time.Duration) time.Duration {
	return d - d/5 + rand.N(2*d/5+1)
}

// sleep waits d or until ctx ends; false when ctx ended.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// errClientClosed fails calls on a closed client.
var errClientClosed = errors.New("client closed")

// conn returns the current connection, dialling when there is none and
// no backoff window is open, and waiting for the dial up to deadline or
// ctx. Inside a backoff window it fails at once with the reason of the
// last failure.
func (c *client) conn(ctx context.Context, deadline time.Time) (*clientConn, error) {
	var wait <-chan time.Time // made when it must wait
	for {
		c.mu.Lock()
		switch c.state {
		case stateReady:
			cur := c.cur
			c.mu.Unlock()
			return cur, nil
		case stateClosed:
			c.mu.Unlock()
			return nil, errClientClosed
		case stateFailed:
			if nanotime() < c.retryAt {
				err := c.lastErr
				c.mu.Unlock()
				return nil, err
			}
			c.startLocked()
		case stateIdle:
			c.startLocked()
		}
		if c.changed == nil {
			c.changed = make(chan struct{})
		}
		ch := c.changed
		c.mu.Unlock()
		if wait == nil {
			t := getTimer(time.Until(deadline))
			defer putTimer(t)
			wait = t.C
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-wait:
			return nil, errConnectWait
		}
	}
}

// errConnectWait is a call's timeout spent waiting for the first dial.
var errConnectWait = errors.New("timed out waiting for the connection")

// available reports whether a call may be sent: a usable connection is up,
// or one would be dialled (never tried, dialling, or the backoff window
// over).
func (c *client) available() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	switch c.state {
	case stateReady:
		return c.cur.usable()
	case stateIdle, stateConnecting:
		return true
	case stateFailed:
		return nanotime() >= c.retryAt
	}
	return false
}

// close stops the client: no more dialling, the connection closed, pending
// calls failed. It waits for the client's goroutines.
func (c *client) close() {
	c.mu.Lock()
	cur, cancel := c.cur, c.cancelDial
	c.setLocked(stateClosed, nil, errClientClosed)
	c.mu.Unlock()
	if cancel != nil {
		cancel()
	}
	if cur != nil {
		cur.close()
	}
	c.wg.Wait()
}
