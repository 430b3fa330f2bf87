package dubbo

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/internal/testutil"
)

type ctxKey struct{}

func newCallCtx(parent context.Context, d time.Duration) *callCtx {
	c := new(callCtx)
	c.init(parent, context.WithoutCancel(parent), time.Now().Add(d))
	return c
}

func requireClosed(t *testing.T, ch <-chan struct{}) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(testutil.DefaultTimeout):
		t.Fatal("Done not closed")
	}
}

// TestCallCtx: the provider's lazy call context ends at its deadline, when
// the server's context ends, and when the call ends, whether or not Done
// was asked for first; Err and Done agree, values come from the parent and
// context.Cause reads the call's own error.
func TestCallCtx(t *testing.T) {
	parent := context.WithValue(context.Background(), ctxKey{}, "v")

	t.Run("deadline, Done first", func(t *testing.T) {
		c := newCallCtx(parent, 20*time.Millisecond)
		require.Equal(t, "v", c.Value(ctxKey{}))
		dl, ok := c.Deadline()
		require.True(t, ok)
		require.WithinDuration(t, time.Now().Add(20*time.Millisecond), dl, time.Second)
		done := c.Done()
		require.NoError(t, c.Err())
		requireClosed(t, done)
		require.ErrorIs(t, c.Err(), context.DeadlineExceeded)
		require.ErrorIs(t, context.Cause(c), context.DeadlineExceeded)
	})

	t.Run("deadline, Done never asked", func(t *testing.T) {
		c := newCallCtx(parent, time.Millisecond)
		require.Eventually(t, func() bool { return c.Err() != nil }, testutil.DefaultTimeout, time.Millisecond)
		require.ErrorIs(t, c.Err(), context.DeadlineExceeded)
		requireClosed(t, c.Done()) // asked for after the end: already closed
	})

	t.Run("parent cancelled", func(t *testing.T) {
		p, cancel := context.WithCancel(parent)
		c := newCallCtx(p, time.Hour)
		done := c.Done()
		cancel()
		requireClosed(t, done)
		require.ErrorIs(t, c.Err(), context.Canceled)

		p2, cancel2 := context.WithCancel(parent)
		c2 := newCallCtx(p2, time.Hour)
		cancel2()
		require.ErrorIs(t, c2.Err(), context.Canceled, "seen without Done")
	})

	t.Run("call ends", func(t *testing.T) {
		c := newCallCtx(parent, time.Hour)
		done := c.Done()
		c.end(context.Canceled)
		requireClosed(t, done)
		require.ErrorIs(t, c.Err(), context.Canceled)
		c.end(context.DeadlineExceeded)
		require.ErrorIs(t, c.Err(), context.Canceled, "the first error stays")
	})

	t.Run("child contexts follow", func(t *testing.T) {
		c := newCallCtx(parent, 10*time.Millisecond)
		child, cancel := context.WithCancel(c)
		defer cancel()
		requireClosed(t, child.Done())
		require.ErrorIs(t, child.Err(), context.DeadlineExceeded)
	})
}

// TestProviderCallContext: a method taking a context gets the consumer's
// timeout (plus slack) as its deadline, and it ends when the call returns.
func TestProviderCallContext(t *testing.T) {
	server, client := newProto(t), newProto(t)
	impl := &ctxImpl{got: make(chan context.Context, 1)}
	u := common.MustParse("dubbo://127.0.0.1:0/" + userService)
	exp := exportImpl(t, server, u, impl)
	inv := refer(t, client, exp.URL().WithParam("timeout", "3000"))
	res := invoke(inv, "deadline", nil)
	require.NoError(t, res.Error())
	left := time.Duration(res.Value().(int64))
	require.Greater(t, left, 2*time.Second)
	require.LessOrEqual(t, left, 3*time.Second+callSlack)
	ctx := <-impl.got
	requireClosed(t, ctx.Done())
	require.ErrorIs(t, ctx.Err(), context.Canceled)
}

type ctxImpl struct{ got chan context.Context }

func (c *ctxImpl) Deadline(ctx context.Context) (int64, error) {
	dl, ok := ctx.Deadline()
	if !ok {
		return 0, nil
	}
	c.got <- ctx
	return int64(time.Until(dl)), nil
}
