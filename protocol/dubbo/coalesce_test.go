package dubbo

import (
	"context"
	"errors"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/fleetrpc/fleet/internal/testutil"
	"github.com/fleetrpc/fleet/protocol"
)

// TestConcurrentCallersGetTheirOwnResponses: 64 callers share one
// connection; the provider reads every request (frames gathered into few
// writes must still split into whole frames) and answers them in reverse
// order, several per write. Every caller gets the answer to its own id.
func TestConcurrentCallersGetTheirOwnResponses(t *testing.T) {
	const callers = 64
	fake := newFakeProvider(t, "127.0.0.1:0")
	inv := refer(t, newProto(t), fake.url("&timeout=60000"))

	results := make(chan error, callers)
	for g := range callers {
		go func() {
			arg := "caller-" + strconv.Itoa(g)
			res := invoke(inv, "echo", []string{"java.lang.String"}, arg)
			switch {
			case res.Error() != nil:
				results <- res.Error()
			case res.Value() != "answer to "+arg:
				results <- errors.New(arg + " got " + res.Value().(string))
			default:
				results <- nil
			}
		}()
	}

	c := fake.accept(t)
	_ = c.SetReadDeadline(time.Now().Add(testutil.DefaultTimeout))
	fr := NewFrameReader(c, 0, "test")
	type req struct {
		id  int64
		arg string
	}
	var reqs []req
	for len(reqs) < callers {
		h, body, err := fr.ReadFrame()
		require.NoError(t, err)
		var r Request
		require.NoError(t, DecodeRequestBody(h, body, &r))
		if r.Event {
			continue
		}
		require.Len(t, r.Args, 1)
		reqs = append(reqs, req{h.ID, r.Args[0].(string)})
	}
	var out []byte
	for i := len(reqs) - 1; i >= 0; i-- {
		var err error
		out, err = EncodeResponse(out, &Response{ID: reqs[i].id, Status: StatusOK, Value: "answer to " + reqs[i].arg}, true, 0, "")
		require.NoError(t, err)
		if i%5 == 0 {
			_, err = c.Write(out)
			require.NoError(t, err)
			out = out[:0]
		}
	}
	for range callers {
		select {
		case err := <-results:
			require.NoError(t, err)
		case <-time.After(testutil.DefaultTimeout):
			t.Fatal("a caller got no answer")
		}
	}
	require.Zero(t, pendingCount(inv))
}

// TestProviderAnswersPipelinedRequests: a consumer writes 200 requests in
// one write; the provider answers each once, with whole frames, matching
// ids, whatever order and batching its workers produce.
func TestProviderAnswersPipelinedRequests(t *testing.T) {
	const n = 200
	u := provider(t, newProto(t), &userImpl{}, "")
	c, err := net.Dial("tcp", u.Address())
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	var out []byte
	for i := range n {
		out, err = EncodeRequest(out, &Request{ID: int64(1000 + i), TwoWay: true, Path: userService, Method: "add",
			Desc: "II", Args: []any{int32(i), int32(1)},
			Attachments: []protocol.Attachment{{Key: "path", Value: userService}, {Key: "interface", Value: userService}}}, 0, "")
		require.NoError(t, err)
	}
	_, err = c.Write(out)
	require.NoError(t, err)

	_ = c.SetReadDeadline(time.Now().Add(testutil.DefaultTimeout))
	fr := NewFrameReader(c, 0, "test")
	seen := map[int64]bool{}
	for len(seen) < n {
		h, body, err := fr.ReadFrame()
		require.NoError(t, err)
		var r Response
		require.NoError(t, DecodeResponseBody(h, body, &r))
		require.Equal(t, StatusOK, r.Status, r.ErrorMessage)
		i := h.ID - 1000
		require.True(t, i >= 0 && i < n && !seen[h.ID], "unexpected or repeated id %d", h.ID)
		seen[h.ID] = true
		require.Equal(t, int32(i+1), r.Value)
	}
}

// gatedConn is a client connection whose first write blocks until gate is
// closed (or the connection is), then fails with failWith (nil: it writes).
// It counts the writes that start after Close.
type gatedConn struct {
	net.Conn
	gate     chan struct{}
	failWith error
	blocked  chan struct{} // closed when the first write blocks

	writes     atomic.Int32
	closed     atomic.Bool
	afterClose atomic.Int32
	closeOnce  sync.Once
	done       chan struct{}
}

func (g *gatedConn) Write(b []byte) (int, error) {
	if g.closed.Load() {
		g.afterClose.Add(1)
		return 0, net.ErrClosed
	}
	if g.writes.Add(1) == 1 {
		close(g.blocked)
		select {
		case <-g.gate:
		case <-g.done:
			return 0, net.ErrClosed
		}
		if g.failWith != nil {
			return 0, g.failWith
		}
	}
	return g.Conn.Write(b)
}

func (g *gatedConn) Close() error {
	g.closed.Store(true)
	g.closeOnce.Do(func() { close(g.done) })
	return g.Conn.Close()
}

// gatedClient refers fake's provider through a dialer whose first
// connection is a gatedConn.
func gatedClient(t *testing.T, fake *fakeProvider, failWith error) (protocol.Invoker, *gatedConn) {
	t.Helper()
	var first atomic.Pointer[gatedConn]
	gc := &gatedConn{gate: make(chan struct{}), failWith: failWith, blocked: make(chan struct{}), done: make(chan struct{})}
	p := New(WithLogger(quietLogger()), WithDialer(func(ctx context.Context, network, address string) (net.Conn, error) {
		var d net.Dialer
		nc, err := d.DialContext(ctx, network, address)
		if err != nil {
			return nil, err
		}
		if first.CompareAndSwap(nil, gc) {
			gc.Conn = nc
			return gc, nil
		}
		return nc, nil
	}))
	t.Cleanup(p.Destroy)
	return refer(t, p, fake.url("&timeout=60000")), gc
}

// startQueuedCalls starts one call that blocks in the gated write and n
// more whose frames queue behind it, and waits until all n frames are in
// the queue.
func startQueuedCalls(t *testing.T, inv protocol.Invoker, gc *gatedConn, n int) <-chan protocol.Result {
	t.Helper()
	results := make(chan protocol.Result, n+1)
	call := func() { results <- invoke(inv, "ping", nil) }
	go call()
	select {
	case <-gc.blocked:
	case <-time.After(testutil.DefaultTimeout):
		t.Fatal("the first write did not start")
	}
	for range n {
		go call()
	}
	cc := clientsOf(inv)[0]
	require.Eventually(t, func() bool {
		cc.mu.Lock()
		cur := cc.cur
		cc.mu.Unlock()
		if cur == nil {
			return false
		}
		cur.transport.mu.Lock()
		defer cur.transport.mu.Unlock()
		return countFrames(cur.transport.queued) == n
	}, testutil.DefaultTimeout, time.Millisecond)
	require.Equal(t, n+1, pendingCount(inv))
	return results
}

// countFrames counts the whole frames at the start of b.
func countFrames(b []byte) int {
	n := 0
	for len(b) >= HeaderLen {
		h, err := ParseHeader(b)
		if err != nil || len(b) < HeaderLen+h.BodyLen {
			break
		}
		b, n = b[HeaderLen+h.BodyLen:], n+1
	}
	return n
}

// TestWriteErrorFailsQueuedCalls: when a write fails, the call that wrote
// and the calls whose frames were queued behind it fail at once with a
// network error (not at their 60 s timeout), and the connection is closed.
func TestWriteErrorFailsQueuedCalls(t *testing.T) {
	const queued = 8
	fake := newFakeProvider(t, "127.0.0.1:0")
	inv, gc := gatedClient(t, fake, errors.New("injected write failure"))
	results := startQueuedCalls(t, inv, gc, queued)
	fake.accept(t)
	close(gc.gate)
	for range queued + 1 {
		select {
		case res := <-results:
			require.ErrorIs(t, res.Error(), protocol.ErrNetwork)
		case <-time.After(testutil.DefaultTimeout):
			t.Fatal("a queued call was not failed")
		}
	}
	require.True(t, gc.closed.Load(), "the failed connection is closed")
	require.Zero(t, pendingCount(inv))
}

// TestCloseWhileWritesQueued: destroying the invoker while a write blocks
// and frames are queued fails every call at once, returns, writes nothing
// more, and leaves no goroutine behind (goleak in TestMain).
func TestCloseWhileWritesQueued(t *testing.T) {
	const queued = 8
	fake := newFakeProvider(t, "127.0.0.1:0")
	inv, gc := gatedClient(t, fake, nil)
	results := startQueuedCalls(t, inv, gc, queued)
	fake.accept(t)

	destroyed := make(chan struct{})
	go func() {
		inv.Destroy()
		close(destroyed)
	}()
	select {
	case <-destroyed:
	case <-time.After(testutil.DefaultTimeout):
		t.Fatal("Destroy did not return")
	}
	for range queued + 1 {
		select {
		case res := <-results:
			require.ErrorIs(t, res.Error(), protocol.ErrNetwork)
		case <-time.After(testutil.DefaultTimeout):
			t.Fatal("a queued call was not failed")
		}
	}
	require.Zero(t, gc.afterClose.Load(), "nothing written after close")
	require.Equal(t, int32(1), gc.writes.Load(), "the queued frames were dropped")
}

// TestQueuedFramesGoOutInOneWrite: frames queued while a write is in
// progress are gathered into the next write, whole: nine calls take two
// writes, and every call is answered.
func TestQueuedFramesGoOutInOneWrite(t *testing.T) {
	const queued = 8
	fake := newFakeProvider(t, "127.0.0.1:0")
	inv, gc := gatedClient(t, fake, nil)
	results := startQueuedCalls(t, inv, gc, queued)
	c := fake.accept(t)
	close(gc.gate)

	_ = c.SetReadDeadline(time.Now().Add(testutil.DefaultTimeout))
	fr := NewFrameReader(c, 0, "test")
	var out []byte
	for range queued + 1 {
		h, _, err := fr.ReadFrame()
		require.NoError(t, err)
		require.False(t, h.Event)
		out, err = EncodeResponse(out, &Response{ID: h.ID, Status: StatusOK, Value: "pong " + strconv.FormatInt(h.ID, 10)}, true, 0, "")
		require.NoError(t, err)
	}
	require.Equal(t, int32(2), gc.writes.Load(), "the first frame, then the eight queued behind it")
	_, err := c.Write(out)
	require.NoError(t, err)
	for range queued + 1 {
		select {
		case res := <-results:
			require.NoError(t, res.Error())
			require.Contains(t, res.Value(), "pong ")
		case <-time.After(testutil.DefaultTimeout):
			t.Fatal("a call got no answer")
		}
	}
}

// TestTimeoutAttachmentValue: the boxed timeout attachment is reused only
// for the same timeout in milliseconds.
func TestTimeoutAttachmentValue(t *testing.T) {
	i := &link{}
	for _, c := range []struct {
		d    time.Duration
		want string
	}{{time.Second, "1000"}, {time.Second + 300*time.Microsecond, "1000"}, {997 * time.Millisecond, "997"},
		{time.Second, "1000"}, {1500 * time.Millisecond, "1500"}} {
		require.Equal(t, c.want, i.timeoutValue(c.d))
	}
}
