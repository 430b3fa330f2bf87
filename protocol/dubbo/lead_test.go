package dubbo

import (
	"context"
	"fmt"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/fleetrpc/fleet/internal/testutil"
	"github.com/fleetrpc/fleet/protocol"
)

// withIdleRead sets how long a consumer connection's read token stays free
// before its background reader takes it (an hour: a test's calls always
// find it free once nothing is pending).
func withIdleRead(d time.Duration) Option { return func(o *options) { o.idleRead = d } }

// connOf returns the invoker's current connection.
func connOf(t *testing.T, inv protocol.Invoker) *clientConn {
	t.Helper()
	c := clientsOf(inv)[0]
	c.mu.Lock()
	defer c.mu.Unlock()
	require.NotNil(t, c.cur)
	return c.cur
}

// tokenFree waits until nobody holds the connection's read token.
func tokenFree(t *testing.T, cc *clientConn) {
	t.Helper()
	require.Eventually(t, func() bool { return !cc.reading.Load() }, testutil.DefaultTimeout, time.Millisecond)
}

// leading waits until a caller holds the read token (the background
// reader of a client withIdleRead(time.Hour) takes it only when granted).
func leading(t *testing.T, cc *clientConn) {
	t.Helper()
	require.Eventually(t, cc.reading.Load, testutil.DefaultTimeout, time.Millisecond)
}

// fakeConn is the provider end of one consumer connection in a test.
type fakeConn struct {
	net.Conn
	fr *FrameReader
}

func acceptFake(t *testing.T, f *fakeProvider) *fakeConn {
	t.Helper()
	c := f.accept(t)
	return &fakeConn{Conn: c, fr: NewFrameReader(c, 0, "fake")}
}

// request reads the next request and returns its id.
func (f *fakeConn) request(t *testing.T) int64 {
	t.Helper()
	_ = f.SetReadDeadline(time.Now().Add(testutil.DefaultTimeout))
	h, _, err := f.fr.ReadFrame()
	require.NoError(t, err)
	require.True(t, h.Request)
	return h.ID
}

// answer returns the frame answering id with value.
func answer(t *testing.T, id int64, value string) []byte {
	t.Helper()
	frame, err := EncodeResponse(nil, &Response{ID: id, Status: StatusOK, Value: value}, false, 0, "")
	require.NoError(t, err)
	return frame
}

// callAsync invokes whoami in the background.
func callAsync(ctx context.Context, inv protocol.Invoker) <-chan protocol.Result {
	done := make(chan protocol.Result, 1)
	go func() { done <- inv.Invoke(ctx, protocol.NewInvocation("whoami")) }()
	return done
}

func result(t *testing.T, ch <-chan protocol.Result) protocol.Result {
	t.Helper()
	select {
	case res := <-ch:
		return res
	case <-time.After(testutil.DefaultTimeout):
		t.Fatal("call did not return")
		return nil
	}
}

// warmFake connects inv to the fake provider with one answered call and
// waits until the read token is free.
func warmFake(t *testing.T, f *fakeProvider, inv protocol.Invoker) (*fakeConn, *clientConn) {
	t.Helper()
	done := callAsync(context.Background(), inv)
	fc := acceptFake(t, f)
	_, err := fc.Write(answer(t, fc.request(t), "warm"))
	require.NoError(t, err)
	res := result(t, done)
	require.NoError(t, res.Error())
	require.Equal(t, "warm", res.Value())
	cc := connOf(t, inv)
	tokenFree(t, cc)
	return fc, cc
}

// A caller that finds the read token free reads the connection itself and
// delivers the answers of the calls that wait meanwhile to their callers.
func TestLeaderDeliversOtherAnswers(t *testing.T) {
	f := newFakeProvider(t, "127.0.0.1:0")
	client := New(WithLogger(quietLogger()), withIdleRead(time.Hour))
	t.Cleanup(client.Destroy)
	inv := refer(t, client, f.url("&timeout=5000"))
	fc, cc := warmFake(t, f, inv)
	led := cc.led.Load()

	a := callAsync(context.Background(), inv)
	idA := fc.request(t)
	leading(t, cc) // a lone call reads for itself
	b := callAsync(context.Background(), inv)
	idB := fc.request(t)
	require.Equal(t, 2, pendingCount(inv))

	// Both answers in one write, the follower's first.
	_, err := fc.Write(append(answer(t, idB, "for b"), answer(t, idA, "for a")...))
	require.NoError(t, err)
	resA, resB := result(t, a), result(t, b)
	require.NoError(t, resA.Error())
	require.NoError(t, resB.Error())
	require.Equal(t, "for a", resA.Value())
	require.Equal(t, "for b", resB.Value())
	require.Equal(t, led+1, cc.led.Load(), "a read its own answer, b was handed its answer")
	tokenFree(t, cc)
	require.Zero(t, pendingCount(inv))
}

// A leader whose own answer comes while another call is pending hands the
// token to the background reader, which reads the other answer.
func TestLeaderHandsOverToBackgroundReader(t *testing.T) {
	f := newFakeProvider(t, "127.0.0.1:0")
	client := New(WithLogger(quietLogger()), withIdleRead(time.Hour))
	t.Cleanup(client.Destroy)
	inv := refer(t, client, f.url("&timeout=5000"))
	fc, cc := warmFake(t, f, inv)
	led := cc.led.Load()

	a := callAsync(context.Background(), inv)
	idA := fc.request(t)
	leading(t, cc)
	b := callAsync(context.Background(), inv)
	idB := fc.request(t)
	_, err := fc.Write(answer(t, idA, "for a"))
	require.NoError(t, err)
	resA := result(t, a)
	require.Equal(t, "for a", resA.Value())
	require.True(t, cc.reading.Load(), "b is pending: the background reader holds the token")
	_, err = fc.Write(answer(t, idB, "for b"))
	require.NoError(t, err)
	require.Equal(t, "for b", result(t, b).Value())
	require.Equal(t, led+1, cc.led.Load(), "a led; b's answer came through the background reader")
	tokenFree(t, cc)
}

// A leader that times out in the middle of a frame leaves the stream
// intact: the next reader reads that frame whole (and drops it) and the
// next call gets its own answer.
func TestLeaderTimeoutMidFrame(t *testing.T) {
	f := newFakeProvider(t, "127.0.0.1:0")
	client := New(WithLogger(quietLogger()), withIdleRead(time.Hour))
	t.Cleanup(client.Destroy)
	inv := refer(t, client, f.url("&timeout=100"))
	fc, cc := warmFake(t, f, inv)

	a := callAsync(context.Background(), inv)
	late := answer(t, fc.request(t), "too late")
	_, err := fc.Write(late[:HeaderLen+3])
	require.NoError(t, err)
	res := result(t, a)
	require.ErrorIs(t, res.Error(), protocol.ErrTimeout)
	require.Zero(t, pendingCount(inv))
	tokenFree(t, cc)

	b := callAsync(context.Background(), inv)
	idB := fc.request(t)
	_, err = fc.Write(append(late[HeaderLen+3:], answer(t, idB, "for b")...))
	require.NoError(t, err)
	res = result(t, b)
	require.NoError(t, res.Error())
	require.Equal(t, "for b", res.Value())
}

// A leader's context ending interrupts its read at once.
func TestLeaderContextCancel(t *testing.T) {
	f := newFakeProvider(t, "127.0.0.1:0")
	client := New(WithLogger(quietLogger()), withIdleRead(time.Hour))
	t.Cleanup(client.Destroy)
	inv := refer(t, client, f.url("&timeout=5000"))
	fc, cc := warmFake(t, f, inv)

	ctx, cancel := context.WithCancel(context.Background())
	a := callAsync(ctx, inv)
	fc.request(t)
	leading(t, cc)
	start := time.Now()
	cancel()
	res := result(t, a)
	require.ErrorIs(t, res.Error(), context.Canceled)
	require.Less(t, time.Since(start), time.Second)
	require.Zero(t, pendingCount(inv))
	tokenFree(t, cc)

	// The connection still serves, and the next call leads again.
	led := cc.led.Load()
	b := callAsync(context.Background(), inv)
	_, err := fc.Write(answer(t, fc.request(t), "for b"))
	require.NoError(t, err)
	require.Equal(t, "for b", result(t, b).Value())
	require.Equal(t, led+1, cc.led.Load())
}

// The connection's end, met by a leader, fails its call and every other
// pending call at once with a network error.
func TestLeaderConnectionLost(t *testing.T) {
	f := newFakeProvider(t, "127.0.0.1:0")
	client := New(WithLogger(quietLogger()), withIdleRead(time.Hour))
	t.Cleanup(client.Destroy)
	inv := refer(t, client, f.url("&timeout=5000"))
	fc, cc := warmFake(t, f, inv)

	a := callAsync(context.Background(), inv)
	fc.request(t)
	leading(t, cc)
	b := callAsync(context.Background(), inv)
	fc.request(t)
	start := time.Now()
	require.NoError(t, fc.Close())
	for _, ch := range []<-chan protocol.Result{a, b} {
		res := result(t, ch)
		require.ErrorIs(t, res.Error(), protocol.ErrNetwork)
		require.Contains(t, res.Error().Error(), "inactive")
	}
	require.Less(t, time.Since(start), 4*time.Second, "well before the 5 s timeout")
}

// An answer larger than the read buffer is handed to the background reader
// (it cannot be read under the leader's deadline) and still arrives whole;
// the calls after it lead again.
func TestLeaderBigAnswer(t *testing.T) {
	server := newProto(t)
	client := New(WithLogger(quietLogger()), withIdleRead(time.Hour))
	t.Cleanup(client.Destroy)
	inv := refer(t, client, provider(t, server, &userImpl{}, ""))
	require.NoError(t, invoke(inv, "ping", nil).Error())
	cc := connOf(t, inv)
	tokenFree(t, cc)

	res := invoke(inv, "big", []string{"int"}, int32(100_000))
	require.NoError(t, res.Error())
	require.Len(t, res.Value(), 100_000)
	tokenFree(t, cc)
	led := cc.led.Load()
	res = invoke(inv, "add", []string{"int", "int"}, int32(2), int32(3))
	require.NoError(t, res.Error())
	require.Equal(t, int32(5), res.Value())
	require.Equal(t, led+1, cc.led.Load())
}

// Concurrent callers on one connection, some leading and some following,
// each get the answer to their own call.
func TestLeaderConcurrentCallers(t *testing.T) {
	for _, tc := range []struct {
		idle       time.Duration
		dispatcher string
	}{{time.Hour, "direct"}, {time.Millisecond, "direct"}, {time.Hour, "all"}, {time.Millisecond, "all"}} {
		t.Run("idle="+tc.idle.String()+"/dispatcher="+tc.dispatcher, func(t *testing.T) {
			server := newProto(t)
			client := New(WithLogger(quietLogger()), withIdleRead(tc.idle))
			t.Cleanup(client.Destroy)
			inv := refer(t, client, provider(t, server, &userImpl{}, "&dispatcher="+tc.dispatcher))
			require.NoError(t, invoke(inv, "ping", nil).Error())
			cc := connOf(t, inv)

			const callers, calls = 8, 200
			var wg sync.WaitGroup
			errs := make(chan error, callers)
			for g := range callers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := range calls {
						a := int32(g*100_000 + i)
						if g%2 == 1 && i%10 == 0 {
							time.Sleep(time.Duration(i%3) * time.Millisecond) // let some calls run alone
						}
						if i%25 == g {
							// A call slower than the provider's inline guard.
							if res := invoke(inv, "sleep", []string{"int"}, int32(1)); res.Value() != "slept" {
								errs <- fmt.Errorf("sleep(1) = %v, %v", res.Value(), res.Error())
								return
							}
						}
						res := invoke(inv, "add", []string{"int", "int"}, a, int32(7))
						if res.Error() != nil {
							errs <- res.Error()
							return
						}
						if res.Value() != a+7 {
							errs <- fmt.Errorf("add(%d, 7) = %v", a, res.Value())
							return
						}
					}
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				require.NoError(t, err)
			}
			require.Positive(t, cc.led.Load(), "some callers read their own answers")
			require.Zero(t, pendingCount(inv))
		})
	}
}
