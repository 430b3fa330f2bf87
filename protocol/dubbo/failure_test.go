package dubbo

import (
	"context"

	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/internal/testutil"
	"github.com/fleetrpc/fleet/protocol"
)

// pendingCount returns the number of calls pending on the invoker's
// connections.
func pendingCount(inv protocol.Invoker) int {
	n := 0
	for _, c := range clientsOf(inv) {
		c.mu.Lock()
		cur := c.cur
		c.mu.Unlock()
		if cur != nil {
			cur.mu.Lock()
			n += len(cur.pending)
			cur.mu.Unlock()
		}
	}
	return n
}

func TestTimeoutRemovesPending(t *testing.T) {
	server, client := newProto(t), newProto(t)
	u := provider(t, server, &userImpl{}, "")
	inv := refer(t, client, u.WithParam("timeout", "50").WithParam("sleep.timeout", "80"))
	require.NoError(t, invoke(inv, "ping", nil).Error())

	start := time.Now()
	res := invoke(inv, "sleep", []string{"int"}, 2000)
	require.ErrorIs(t, res.Error(), protocol.ErrTimeout)
	require.Contains(t, res.Error().Error(), "Invoke remote method timeout. method: sleep")
	require.Less(t, time.Since(start), time.Second)
	require.GreaterOrEqual(t, time.Since(start), 80*time.Millisecond, "the method's timeout wins")
	require.Zero(t, pendingCount(inv))

	// A context deadline narrows the timeout.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	start = time.Now()
	res = inv.Invoke(ctx, protocol.NewInvocation("sleep", int32(2000)))
	require.ErrorIs(t, res.Error(), protocol.ErrTimeout)
	require.Less(t, time.Since(start), 70*time.Millisecond)
	require.Zero(t, pendingCount(inv))
}

func TestContextCancel(t *testing.T) {
	server, client := newProto(t), newProto(t)
	impl := &userImpl{started: make(chan struct{}, 1)}
	inv := refer(t, client, provider(t, server, impl, ""))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan protocol.Result, 1)
	go func() { done <- inv.Invoke(ctx, protocol.NewInvocation("sleep", int32(5000))) }()
	<-impl.started
	cancel()
	select {
	case res := <-done:
		require.ErrorIs(t, res.Error(), context.Canceled)
	case <-time.After(testutil.DefaultTimeout):
		t.Fatal("cancelled call did not return")
	}
	require.Zero(t, pendingCount(inv))
}

// fakeProvider is a raw TCP server under the test's control.
type fakeProvider struct {
	ln    net.Listener
	conns chan net.Conn
	wg    sync.WaitGroup
}

func newFakeProvider(t *testing.T, addr string) *fakeProvider {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	require.NoError(t, err)
	f := &fakeProvider{ln: ln, conns: make(chan net.Conn, 16)}
	f.wg.Add(1)
	go func() {
		defer f.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			f.conns <- c
		}
	}()
	t.Cleanup(f.close)
	return f
}

func (f *fakeProvider) close() {
	_ = f.ln.Close()
	f.wg.Wait()
	for {
		select {
		case c := <-f.conns:
			_ = c.Close()
		default:
			return
		}
	}
}

func (f *fakeProvider) accept(t *testing.T) net.Conn {
	t.Helper()
	select {
	case c := <-f.conns:
		t.Cleanup(func() { _ = c.Close() })
		return c
	case <-time.After(testutil.DefaultTimeout):
		t.Fatal("no connection")
		return nil
	}
}

func (f *fakeProvider) url(params string) *common.URL {
	return common.MustParse("dubbo://" + f.ln.Addr().String() + "/" + userService + "?interface=" + userService + params)
}

func readFrameFrom(t *testing.T, c net.Conn) (Header, []byte) {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(testutil.DefaultTimeout))
	fr := NewFrameReader(c, 0, "test")
	h, body, err := fr.ReadFrame()
	require.NoError(t, err)
	return h, append([]byte(nil), body...)
}

func TestConnectionLossFailsPendingAndReconnects(t *testing.T) {
	fake := newFakeProvider(t, "127.0.0.1:0")
	client := newProto(t)
	inv := refer(t, client, fake.url("&timeout=10000"))
	require.True(t, inv.IsAvailable(), "available while the first dial is in progress")

	done := make(chan protocol.Result, 1)
	go func() { done <- invoke(inv, "ping", nil) }()
	c := fake.accept(t)
	h, _ := readFrameFrom(t, c)
	require.True(t, h.Request)
	require.True(t, inv.IsAvailable())
	start := time.Now()
	_ = c.Close()
	select {
	case res := <-done:
		require.ErrorIs(t, res.Error(), protocol.ErrNetwork)
		require.Contains(t, res.Error().Error(), "inactive")
		require.Less(t, time.Since(start), time.Second, "fails at once, not at the timeout")
	case <-time.After(testutil.DefaultTimeout):
		t.Fatal("pending call not failed")
	}

	// The client reconnects by itself.
	c2 := fake.accept(t)
	require.Eventually(t, inv.IsAvailable, testutil.DefaultTimeout, 5*time.Millisecond)
	go func() { done <- invoke(inv, "whoami", nil) }()
	h, _ = readFrameFrom(t, c2)
	frame, err := EncodeResponse(nil, &Response{ID: h.ID, Status: StatusOK, Value: "fake"}, true, 0, "")
	require.NoError(t, err)
	_, err = c2.Write(frame)
	require.NoError(t, err)
	res := <-done
	require.NoError(t, res.Error())
	require.Equal(t, "fake", res.Value())
}

func TestReferDoesNotDial(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close()) // nothing listens there now
	var dials atomic.Int32
	client := New(WithLogger(quietLogger()), WithDialer(func(ctx context.Context, network, address string) (net.Conn, error) {
		dials.Add(1)
		var d net.Dialer
		return d.DialContext(ctx, network, address)
	}))
	t.Cleanup(client.Destroy)
	inv := refer(t, client, common.MustParse("dubbo://"+addr+"/"+userService))
	require.Zero(t, dials.Load(), "refer dials nothing")
	require.True(t, inv.IsAvailable(), "never tried: a pick may dial")

	res := invoke(inv, "ping", nil)
	require.ErrorIs(t, res.Error(), protocol.ErrNetwork)
	require.Contains(t, res.Error().Error(), addr)
	require.Equal(t, int32(1), dials.Load(), "the first call dials")

	// Inside the backoff window calls fail at once without dialling.
	cl := clientsOf(inv)[0]
	cl.mu.Lock()
	inWindow := nanotime() < cl.retryAt
	cl.mu.Unlock()
	res = invoke(inv, "ping", nil)
	require.ErrorIs(t, res.Error(), protocol.ErrNetwork)
	if inWindow {
		require.Equal(t, int32(1), dials.Load())
	}
}

func TestDestroyFailsPending(t *testing.T) {
	fake := newFakeProvider(t, "127.0.0.1:0")
	client := newProto(t)
	inv, err := client.Refer(fake.url("&timeout=10000"))
	require.NoError(t, err)
	done := make(chan protocol.Result, 1)
	go func() { done <- invoke(inv, "ping", nil) }()
	c := fake.accept(t)
	readFrameFrom(t, c)
	inv.Destroy()
	res := <-done
	require.ErrorIs(t, res.Error(), protocol.ErrNetwork)
	require.False(t, inv.IsAvailable())
	require.ErrorIs(t, invoke(inv, "ping", nil).Error(), protocol.ErrNetwork)
	inv.Destroy() // idempotent
}

func TestThreadPoolExhausted(t *testing.T) {
	server, client := newProto(t), newProto(t)
	impl := &userImpl{started: make(chan struct{}, 1)}
	inv := refer(t, client, provider(t, server, impl, "&threads=1"))
	done := make(chan protocol.Result, 1)
	go func() { done <- invoke(inv, "sleep", []string{"int"}, 300) }()
	<-impl.started
	res := invoke(inv, "ping", nil)
	require.ErrorIs(t, res.Error(), protocol.ErrLimit)
	require.Contains(t, res.Error().Error(), "thread pool is exhausted")
	require.NoError(t, (<-done).Error())
	// The slot frees once the answer is written.
	require.Eventually(t, func() bool { return invoke(inv, "ping", nil).Error() == nil },
		testutil.DefaultTimeout, 5*time.Millisecond)
}

func TestPayloadLimit(t *testing.T) {
	server, client := newProto(t), newProto(t)
	u := provider(t, server, &userImpl{}, "&payload=2000")
	// Over the consumer's own limit: fails before sending.
	inv := refer(t, client, u.WithParam("payload", "300"))
	res := invoke(inv, "echo", []string{"java.lang.String"}, strings.Repeat("y", 400))
	require.ErrorIs(t, res.Error(), protocol.ErrLimit)
	require.Contains(t, res.Error().Error(), "Data length too large: ")
	require.Contains(t, res.Error().Error(), ", max payload: 300, channel: ")

	// A response over the consumer's limit: status 90, the connection survives.
	res = invoke(inv, "big", nil, int32(1000))
	require.ErrorIs(t, res.Error(), protocol.ErrLimit)
	require.Contains(t, res.Error().Error(), "status 90: Data length too large")
	require.NoError(t, invoke(inv, "ping", nil).Error())

	// A response over the provider's limit: status 50.
	inv2 := refer(t, newProto(t), u.WithParam("payload", "100000"))
	res = invoke(inv2, "big", nil, int32(5000))
	require.ErrorIs(t, res.Error(), protocol.ErrLimit)
	require.Contains(t, res.Error().Error(), "status 50: Data length too large")
	require.NoError(t, invoke(inv2, "ping", nil).Error())
}

func TestHeartbeats(t *testing.T) {
	fake := newFakeProvider(t, "127.0.0.1:0")
	client := newProto(t)
	inv := refer(t, client, fake.url("&heartbeat=60&heartbeat.timeout=100000"))
	go invoke(inv, "ping", []string{}) // makes the connection
	c := fake.accept(t)
	readFrameFrom(t, c) // the ping
	// An idle connection gets heartbeats; answer one.
	fr := NewFrameReader(c, 0, "test")
	_ = c.SetReadDeadline(time.Now().Add(testutil.DefaultTimeout))
	for {
		h, body, err := fr.ReadFrame()
		require.NoError(t, err)
		if h.Event {
			require.True(t, h.TwoWay)
			require.Equal(t, []byte{'N'}, body)
			frame, _ := EncodeResponse(nil, &Response{ID: h.ID, Status: StatusOK, Event: true}, false, 0, "")
			_, err = c.Write(frame)
			require.NoError(t, err)
			break
		}
	}
	// A provider's heartbeat is answered.
	hb, _ := EncodeRequest(nil, &Request{ID: 77, TwoWay: true, Event: true}, 0, "")
	_, err := c.Write(hb)
	require.NoError(t, err)
	for {
		h, body, err := fr.ReadFrame()
		require.NoError(t, err)
		if !h.Request && h.ID == 77 {
			require.True(t, h.Event)
			require.Equal(t, StatusOK, h.Status)
			require.Equal(t, []byte{'N'}, body)
			break
		}
	}
}

func TestHeartbeatTimeoutReconnects(t *testing.T) {
	fake := newFakeProvider(t, "127.0.0.1:0")
	client := newProto(t)
	inv := refer(t, client, fake.url("&heartbeat=30&heartbeat.timeout=90&timeout=10000"))
	go invoke(inv, "ping", nil)
	fake.accept(t) // never answers anything
	fake.accept(t) // the client gave up on it and dialled again
	_ = inv
}

func TestReadOnlyEvent(t *testing.T) {
	fake := newFakeProvider(t, "127.0.0.1:0")
	client := newProto(t)
	inv := refer(t, client, fake.url(""))
	go invoke(inv, "ping", nil)
	c := fake.accept(t)
	readFrameFrom(t, c)
	require.True(t, inv.IsAvailable())
	ro, _ := EncodeRequest(nil, &Request{ID: 5, Event: true, EventData: "R"}, 0, "")
	_, err := c.Write(ro)
	require.NoError(t, err)
	require.Eventually(t, func() bool { return !inv.IsAvailable() }, testutil.DefaultTimeout, 5*time.Millisecond)
}

func TestGracefulClose(t *testing.T) {
	server, client := newProto(t), newProto(t)
	impl := &userImpl{started: make(chan struct{}, 1)}
	u := common.MustParse("dubbo://127.0.0.1:0/" + userService)
	exp := exportImpl(t, server, u, impl)
	inv := refer(t, client, exp.URL())
	done := make(chan protocol.Result, 1)
	go func() { done <- invoke(inv, "sleep", []string{"int"}, 200) }()
	<-impl.started
	exp.Unexport() // waits for the in-flight call to be answered
	res := <-done
	require.NoError(t, res.Error())
	require.Equal(t, "slept", res.Value())
	require.Eventually(t, func() bool { return !inv.IsAvailable() }, testutil.DefaultTimeout, 5*time.Millisecond)
	require.ErrorIs(t, invoke(inv, "ping", nil).Error(), protocol.ErrNetwork)
}
