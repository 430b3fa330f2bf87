package protocol

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/fleetrpc/fleet/common"
)

type echoInvoker struct {
	url       *common.URL
	destroyed bool
}

func (e *echoInvoker) URL() *common.URL  { return e.url }
func (e *echoInvoker) IsAvailable() bool { return !e.destroyed }
func (e *echoInvoker) Destroy()          { e.destroyed = true }
func (e *echoInvoker) Invoke(_ context.Context, inv Invocation) Result {
	return NewResult(inv.Arguments()[0], nil)
}

func TestFiltersRunInOrder(t *testing.T) {
	var trace []string
	tag := func(name string) Filter {
		return FilterFunc(func(ctx context.Context, next Invoker, inv Invocation) Result {
			trace = append(trace, name+" in")
			res := next.Invoke(ctx, inv)
			trace = append(trace, name+" out")
			return res
		})
	}
	next := &echoInvoker{url: common.MustParse("dubbo://10.0.0.1:20880/org.a.Svc")}
	inv := WithFilters(next, tag("a"), tag("b"))
	res := inv.Invoke(context.Background(), NewInvocation("echo", "hi"))
	require.NoError(t, res.Error())
	require.Equal(t, "hi", res.Value())
	require.Equal(t, []string{"a in", "b in", "b out", "a out"}, trace)
	require.Same(t, next.url, inv.URL())
	require.True(t, inv.IsAvailable())
	inv.Destroy()
	require.True(t, next.destroyed)
	require.Same(t, Invoker(next), WithFilters(next))
}

func TestFilterMayAnswerItself(t *testing.T) {
	deny := FilterFunc(func(context.Context, Invoker, Invocation) Result {
		return ErrorResult(NewError(KindLimit, "org.a.Svc", "echo", "", "too many calls", nil))
	})
	inv := WithFilters(&echoInvoker{url: common.MustParse("dubbo://h:1/org.a.Svc")}, deny)
	require.ErrorIs(t, inv.Invoke(context.Background(), NewInvocation("echo", "x")).Error(), ErrLimit)
}
