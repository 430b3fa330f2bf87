package dubbo

import (
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"

	"github.com/fleetrpc/fleet/protocol"
)

// errConnClosed fails the calls pending on a connection that ends.
var errConnClosed = errors.New("connection closed")

// call is one request waiting for its response. Calls are pooled: the
// reader signals done exactly once for a call it took from pending (and
// never for one the caller removed), and the caller returns it to the pool
// only after that signal or after removing it.
type call struct {
	done chan struct{} // capacity 1: receives once the reader set resp
	resp Response
	// atts is room for the request's attachments while it is encoded.
	atts [8]protocol.Attachment
}

var callPool = sync.Pool{New: func() any { return &call{done: make(chan struct{}, 1)} }}

// release returns cl to the pool.
func (cl *call) release() {
	cl.resp = Response{}
	clear(cl.atts[:])
	callPool.Put(cl)
}

// clientConn is one consumer connection: the transport, the calls pending
// on it, and its reader (run by serve, on the goroutine of the client that
// dialled it) and heartbeat goroutine.
type clientConn struct {
	*transport
	c *client // immutable: the owner

	mu       sync.Mutex // guards pending, closed, readOnly
	pending  map[int64]*call
	closed   bool
	readOnly bool // the provider announced it is shutting down
}

func newClientConn(c *client, nc net.Conn) *clientConn {
	return &clientConn{transport: newTransport(nc), c: c, pending: make(map[int64]*call)}
}

// register adds cl as the pending call for id; false when the connection
// ended.
func (cc *clientConn) register(id int64, cl *call) bool {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	if cc.closed {
		return false
	}
	cc.pending[id] = cl
	return true
}

// remove withdraws the pending call id; false when the reader already took
// it (its done channel is then closed soon).
func (cc *clientConn) remove(id int64) bool {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	_, ok := cc.pending[id]
	delete(cc.pending, id)
	return ok
}

func (cc *clientConn) take(id int64) *call {
	cc.mu.Lock()
	cl := cc.pending[id]
	delete(cc.pending, id)
	cc.mu.Unlock()
	return cl
}

// usable reports whether new calls may use the connection.
func (cc *clientConn) usable() bool {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	return !cc.closed && !cc.readOnly
}

// serve reads frames until the connection fails or is closed, runs the
// heartbeat goroutine meanwhile, and then fails every pending call with a
// network error (status 35, channel inactive). It closes the connection and
// returns after the heartbeat goroutine ended.
func (cc *clientConn) serve() error {
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		cc.heartbeat(stop)
	}()
	err := cc.read()
	cc.close()
	close(stop)
	wg.Wait()

	cc.mu.Lock()
	cc.closed = true
	pending := cc.pending
	cc.pending = nil
	cc.mu.Unlock()
	msg := fmt.Sprintf("channel %s -> %s is inactive: %v", cc.nc.LocalAddr(), cc.nc.RemoteAddr(), err)
	for _, cl := range pending {
		cl.resp = Response{Status: StatusChannelInactive, ErrorMessage: msg}
		cl.done <- struct{}{}
	}
	return err
}

func (cc *clientConn) read() error {
	fr := NewFrameReader(cc.nc, cc.c.payload, cc.nc.LocalAddr().String()+" -> "+cc.nc.RemoteAddr().String())
	strs := &strTable{}
	for {
		h, body, err := fr.ReadFrame()
		if err != nil {
			var perr *PayloadError
			if errors.As(err, &perr) && !h.Request {
				// An over-limit response fails its call; the stream goes on.
				if cl := cc.take(h.ID); cl != nil {
					cl.resp = Response{ID: h.ID, Status: StatusClientError, ErrorMessage: perr.Error()}
					cl.done <- struct{}{}
				}
				continue
			}
			if errors.Is(err, io.EOF) {
				err = errConnClosed
			}
			return err
		}
		cc.lastRead.Store(nanotime())
		if h.Request {
			cc.serverRequest(h, body)
			continue
		}
		if h.Event {
			continue // a heartbeat answer completes nothing
		}
		cl := cc.take(h.ID)
		if cl == nil {
			continue // timed out or cancelled meanwhile
		}
		if err := decodeResponse(h, body, &cl.resp, strs, true); err != nil {
			cl.resp = Response{ID: h.ID, Status: StatusClientError, ErrorMessage: err.Error()}
		}
		cl.done <- struct{}{}
	}
}

// serverRequest handles a request the provider sent: a heartbeat (answered
// when two-way) or the read-only event.
func (cc *clientConn) serverRequest(h Header, body []byte) {
	if !h.Event {
		return // a consumer connection serves no calls
	}
	var req Request
	if err := DecodeRequestBody(h, body, &req); err != nil {
		cc.c.logger().Debug("bad event from provider", "address", cc.c.addr, "error", err)
		return
	}
	if s, _ := req.EventData.(string); s == "R" {
		cc.mu.Lock()
		cc.readOnly = true
		cc.mu.Unlock()
		cc.c.logger().Info("provider is shutting down: connection read-only", "address", cc.c.addr)
		return
	}
	if h.TwoWay {
		frame, err := EncodeResponse(nil, &Response{ID: h.ID, Status: StatusOK, Event: true}, false, 0, "")
		if err == nil {
			_ = cc.write(frame)
		}
	}
}

// heartbeat sends a heartbeat when nothing was read or written for the
// heartbeat interval, and closes the connection when nothing was read for
// the heartbeat timeout, until stop is closed.
func (cc *clientConn) heartbeat(stop <-chan struct{}) {
	interval, timeout := cc.c.heartbeat, cc.c.heartbeatTimeout
	if interval <= 0 {
		return
	}
	tick := interval / 3
	if tick < time.Second && interval >= 3*time.Second {
		tick = time.Second
	}
	t := time.NewTicker(tick)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
		}
		sinceRead, sinceWrite := cc.idle(nanotime())
		if timeout > 0 && sinceRead > timeout {
			cc.c.logger().Warn("no data from provider within heartbeat timeout: reconnecting",
				"address", cc.c.addr, "timeout", timeout)
			cc.close()
			return
		}
		if sinceRead > interval || sinceWrite > interval {
			frame, err := EncodeRequest(nil, &Request{ID: cc.c.proto.nextID(), TwoWay: true, Event: true}, 0, "")
			if err == nil {
				_ = cc.write(frame)
			}
		}
	}
}
