package dubbo

import (
	"context"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/internal/testutil"
	"github.com/fleetrpc/fleet/protocol"
)

// concurrencyImpl records how many of its calls run at once; with meet
// set, each call waits (up to a deadline) until meet calls are inside.
type concurrencyImpl struct {
	meet      int32
	inside    atomic.Int32
	maxInside atomic.Int32
	met       chan struct{}
	once      sync.Once
}

func (c *concurrencyImpl) Work(n int32) (int32, error) {
	now := c.inside.Add(1)
	defer c.inside.Add(-1)
	for {
		m := c.maxInside.Load()
		if now <= m || c.maxInside.CompareAndSwap(m, now) {
			break
		}
	}
	if c.meet > 0 {
		if now >= c.meet {
			c.once.Do(func() { close(c.met) })
		}
		select {
		case <-c.met:
		case <-time.After(testutil.DefaultTimeout):
		}
	}
	return n + 1, nil
}

func callWork(t *testing.T, inv protocol.Invoker, n int) {
	t.Helper()
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res := inv.Invoke(context.Background(), protocol.NewInvocation("work", int32(i)))
			if assertNoErr(t, res.Error()) && res.Value() != int32(i+1) {
				t.Errorf("work(%d) = %v", i, res.Value())
			}
		}()
	}
	wg.Wait()
}

// TestDirectDispatcher: with dispatcher=direct a provider runs the calls of
// one connection on its reader, one at a time, and answers each; with the
// default dispatcher the same calls run at once on workers.
func TestDirectDispatcher(t *testing.T) {
	t.Run("direct", func(t *testing.T) {
		impl := &concurrencyImpl{}
		exp := exportImpl(t, newProto(t), common.MustParse("dubbo://127.0.0.1:0/"+userService+"?dispatcher=direct"), impl)
		require.True(t, exp.srv.direct)
		inv := refer(t, newProto(t), exp.URL().WithParam("timeout", "10000"))
		callWork(t, inv, 16)
		require.Equal(t, int32(1), impl.maxInside.Load())
	})
	t.Run("pool", func(t *testing.T) {
		impl := &concurrencyImpl{meet: 2, met: make(chan struct{})}
		exp := exportImpl(t, newProto(t), common.MustParse("dubbo://127.0.0.1:0/"+userService), impl)
		require.False(t, exp.srv.direct)
		inv := refer(t, newProto(t), exp.URL().WithParam("timeout", "20000"))
		callWork(t, inv, 2)
		require.Equal(t, int32(2), impl.maxInside.Load())
	})
}

// TestDirectDispatcherGracefulClose: a call running on the reader when the
// exporter is unexported is answered before the server closes.
func TestDirectDispatcherGracefulClose(t *testing.T) {
	impl := &userImpl{started: make(chan struct{}, 1)}
	exp := exportImpl(t, newProto(t), common.MustParse("dubbo://127.0.0.1:0/"+userService+"?dispatcher=direct"), impl)
	inv := refer(t, newProto(t), exp.URL())
	done := make(chan protocol.Result, 1)
	go func() { done <- invoke(inv, "sleep", []string{"int"}, 100) }()
	select {
	case <-impl.started:
	case <-time.After(testutil.DefaultTimeout):
		t.Fatal("call not started")
	}
	exp.Unexport()
	res := <-done
	require.NoError(t, res.Error())
	require.Equal(t, "slept", res.Value())
}

// TestDirectDispatcherBatchesAnswers: with dispatcher=direct, the answers
// to requests that arrived together go out together: 50 requests written
// at once are answered, in order, in a few writes.
func TestDirectDispatcherBatchesAnswers(t *testing.T) {
	const n = 50
	var counts ioCounts
	server := New(WithLogger(quietLogger()), WithGracePeriod(2*time.Second), withListen(counts.listen))
	t.Cleanup(server.Destroy)
	u := provider(t, server, &userImpl{}, "&dispatcher=direct")
	c, err := net.Dial("tcp", u.Address())
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	var out []byte
	for i := range n {
		out, err = EncodeRequest(out, &Request{ID: int64(i), TwoWay: true, Path: userService, Method: "add",
			Desc: "II", Args: []any{int32(i), int32(1)},
			Attachments: []protocol.Attachment{{Key: "path", Value: userService}, {Key: "interface", Value: userService}}}, 0, "")
		require.NoError(t, err)
	}
	_, err = c.Write(out)
	require.NoError(t, err)
	_ = c.SetReadDeadline(time.Now().Add(testutil.DefaultTimeout))
	fr := NewFrameReader(c, 0, "test")
	for i := range n {
		h, body, err := fr.ReadFrame()
		require.NoError(t, err)
		require.Equal(t, int64(i), h.ID, "answered in order")
		var r Response
		require.NoError(t, DecodeResponseBody(h, body, &r))
		require.Equal(t, int32(i+1), r.Value)
	}
	require.LessOrEqual(t, counts.writes.Load(), int64(n/5), "answers written together")
}
