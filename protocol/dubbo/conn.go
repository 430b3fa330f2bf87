package dubbo

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
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
// on it, its reading (see lead.go: the background reader, run by serve on
// the goroutine of the client that dialled it, or a caller waiting for its
// answer) and its heartbeat goroutine.
type clientConn struct {
	*transport
	c *client // immutable: the owner

	// The read side. Whoever holds the read token (reading) owns fr and
	// strs: the background reader, or a caller reading for its own answer.
	fr        *FrameReader  // immutable pointer; used by the token holder
	strs      *strTable     // used by the token holder
	reading   atomic.Bool   // the read token is held; taken by CompareAndSwap, given up under mu
	grant     chan struct{} // immutable, capacity 1: hands the held token to the background reader
	idleTimer *time.Timer   // immutable: hands the free token to the background reader after idleRead
	idleRead  time.Duration // immutable: see defaultIdleRead
	idleArmed atomic.Bool   // idleTimer is pending
	freedAt   atomic.Int64  // nanotime the read token was last freed
	rdl       time.Time     // the read deadline a leader set; the token holder's
	quit      chan struct{} // immutable: closed by close
	once      sync.Once     // closes quit
	led       atomic.Int64  // answers read by their own callers (tests)

	mu       sync.Mutex // guards the fields below
	pending  map[int64]*call
	closed   bool
	readOnly bool  // the provider announced it is shutting down
	readErr  error // the read error a caller met, for the background reader to end with
	leader   *call // the call whose caller reads, while its context may interrupt the read
}

func newClientConn(c *client, nc net.Conn) *clientConn {
	cc := &clientConn{transport: newTransport(nc), c: c, pending: make(map[int64]*call),
		grant: make(chan struct{}, 1), quit: make(chan struct{}), strs: &strTable{}}
	cc.fr = NewFrameReader(nc, c.payload, nc.LocalAddr().String()+" -> "+nc.RemoteAddr().String())
	cc.idleRead = cmp.Or(c.proto.opts.idleRead, defaultIdleRead)
	cc.idleTimer = time.NewTimer(time.Hour)
	cc.idleTimer.Stop()
	cc.reading.Store(true) // the background reader's at first
	return cc
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

// close closes the connection; its reader then ends. Idempotent.
func (cc *clientConn) close() {
	cc.once.Do(func() { close(cc.quit) })
	cc.transport.close()
}

// serve reads frames (or waits for the read token) until the connection
// fails or is closed, runs the heartbeat goroutine meanwhile, and then
// fails every pending call with a network error (status 35, channel
// inactive). It closes the connection and returns after the heartbeat
// goroutine ended.
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
	cc.idleTimer.Stop()

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

// handleFrame handles what one ReadFrame returned: it completes the call a
// response answers (signalling its done channel, unless it is mine, whose
// caller is the one reading), answers the provider's events, and returns
// whether mine was completed, or the error that ends the connection.
func (cc *clientConn) handleFrame(h Header, body []byte, err error, mine *call) (bool, error) {
	if err != nil {
		var perr *PayloadError
		if errors.As(err, &perr) && !h.Request {
			// An over-limit response fails its call; the stream goes on.
			return cc.complete(h.ID, mine, func(r *Response) {
				*r = Response{ID: h.ID, Status: StatusClientError, ErrorMessage: perr.Error()}
			}), nil
		}
		if errors.Is(err, io.EOF) {
			err = errConnClosed
		}
		return false, err
	}
	cc.lastRead.Store(nanotime())
	if h.Request {
		cc.serverRequest(h, body)
		return false, nil
	}
	if h.Event {
		return false, nil // a heartbeat answer completes nothing
	}
	cl := cc.take(h.ID)
	if cl == nil {
		return false, nil // timed out or cancelled meanwhile
	}
	if err := decodeResponse(h, body, &cl.resp, cc.strs, true); err != nil {
		cl.resp = Response{ID: h.ID, Status: StatusClientError, ErrorMessage: err.Error()}
	}
	if cl == mine {
		return true, nil
	}
	cl.done <- struct{}{}
	return false, nil
}

// complete takes the pending call id, sets its response with set and
// signals it (unless it is mine); it reports whether it was mine.
func (cc *clientConn) complete(id int64, mine *call, set func(*Response)) bool {
	cl := cc.take(id)
	if cl == nil {
		return false
	}
	set(&cl.resp)
	if cl == mine {
		return true
	}
	cl.done <- struct{}{}
	return false
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
