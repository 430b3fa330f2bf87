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
type clientState int

const (
	stateConnecting clientState = iota // dialling; calls wait
	stateReady                         // a connection is up
	stateFailed                        // the last dial failed or the connection died; calls fail at once
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

// client keeps one connection to a provider address up: it dials in the
// background, reconnects with backoff when the connection dies and hands the
// current connection to calls. One goroutine (run) owns dialling and
// reading; close cancels and waits for it.
type client struct {
	proto *Protocol // immutable
	addr  string    // immutable
	clientSettings

	cancel context.CancelFunc // immutable
	done   chan struct{}      // closed when run returns

	mu      sync.Mutex // guards the fields below
	state   clientState
	cur     *clientConn   // the connection when state is stateReady
	lastErr error         // why the state is stateFailed
	changed chan struct{} // closed and replaced on every state change
}

func newClient(p *Protocol, addr string, s clientSettings) *client {
	ctx, cancel := context.WithCancel(context.Background())
	c := &client{
		proto: p, addr: addr, clientSettings: s,
		cancel: cancel, done: make(chan struct{}), changed: make(chan struct{}),
	}
	go c.run(ctx)
	return c
}

// logger returns the client's logger, looked up at each use.
func (c *client) logger() *slog.Logger { return c.proto.logger().With("address", c.addr) }

func (c *client) setState(st clientState, cur *clientConn, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.state == stateClosed {
		return
	}
	c.state, c.cur, c.lastErr = st, cur, err
	close(c.changed)
	c.changed = make(chan struct{})
}

func (c *client) run(ctx context.Context) {
	defer close(c.done)
	backoff := minBackoff
	for ctx.Err() == nil {
		c.setState(stateConnecting, nil, nil)
		nc, err := c.dial(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			c.setState(stateFailed, nil, err)
			c.logger().Warn("connect failed", "error", err, "retry_in", backoff)
			if !sleep(ctx, jitter(backoff)) {
				return
			}
			backoff = min(2*backoff, maxBackoff)
			continue
		}
		cc := newClientConn(c, nc)
		c.setState(stateReady, cc, nil)
		c.logger().Debug("connected", "local", nc.LocalAddr().String())
		started := time.Now()
		// close may have run between the dial and setState: the
		// connection must not outlive the client.
		if ctx.Err() != nil {
			_ = nc.Close()
		}
		err = cc.serve()
		if ctx.Err() != nil {
			return
		}
		c.setState(stateFailed, nil, fmt.Errorf("connection lost: %w", err))
		c.logger().Warn("connection lost", "error", err)
		if time.Since(started) > stableAfter {
			backoff = minBackoff
		}
		if !sleep(ctx, jitter(backoff)) {
			return
		}
		backoff = min(2*backoff, maxBackoff)
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

// conn returns the current connection, waiting while the client dials, up
// to wait (a timer channel) or ctx. When the last dial failed it fails at
// once with the reason.
func (c *client) conn(ctx context.Context, wait <-chan time.Time) (*clientConn, error) {
	for {
		c.mu.Lock()
		st, cur, err, ch := c.state, c.cur, c.lastErr, c.changed
		c.mu.Unlock()
		switch st {
		case stateReady:
			return cur, nil
		case stateFailed:
			return nil, err
		case stateClosed:
			return nil, errClientClosed
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

// available reports whether the client has a usable connection or is
// making its first attempt.
func (c *client) available() bool {
	c.mu.Lock()
	st, cur := c.state, c.cur
	c.mu.Unlock()
	switch st {
	case stateReady:
		return cur.usable()
	case stateConnecting:
		return true
	}
	return false
}

// close stops the client: no more dialling, the connection closed, pending
// calls failed. It waits for the client's goroutines.
func (c *client) close() {
	c.mu.Lock()
	if c.state == stateClosed {
		c.mu.Unlock()
		<-c.done
		return
	}
	cur := c.cur
	c.state, c.cur = stateClosed, nil
	close(c.changed)
	c.changed = make(chan struct{})
	c.mu.Unlock()
	c.cancel()
	if cur != nil {
		_ = cur.nc.Close()
	}
	<-c.done
}
