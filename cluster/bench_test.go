package cluster

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/fleetrpc/fleet/cluster/loadbalance"
	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/directory"
	"github.com/fleetrpc/fleet/protocol"
)

// nop answers every call with the same result, so a benchmark measures the
// cluster alone.
type nop struct {
	url *common.URL
	res protocol.Result
}

func (n *nop) URL() *common.URL                                            { return n.url }
func (n *nop) IsAvailable() bool                                           { return true }
func (n *nop) Destroy()                                                    {}
func (n *nop) Invoke(context.Context, protocol.Invocation) protocol.Result { return n.res }

func nops(n int) []protocol.Invoker {
	res := protocol.NewResult("ok", nil)
	out := make([]protocol.Invoker, n)
	for i := range out {
		out[i] = &nop{url: common.MustParse(fmt.Sprintf("dubbo://10.%d.%d.%d:20880/org.a.Svc?interface=org.a.Svc", i>>16&255, i>>8&255, i&255)), res: res}
	}
	return out
}

// BenchmarkInvoke is one call through a strategy: list, balancer, select,
// statistics, the provider call (a no-op) and the result.
func BenchmarkInvoke(b *testing.B) {
	for _, name := range []string{FailoverName, FailfastName, AvailableName} {
		for _, n := range []int{10, 1000, 10000} {
			b.Run(fmt.Sprintf("%s/%d", name, n), func(b *testing.B) {
				c, _ := Get(name)
				inv := c.Join(directory.NewStatic(consumer(""), nops(n)))
				call := protocol.NewInvocation("sayHello", "world")
				ctx := context.Background()
				inv.Invoke(ctx, call)
				b.ReportAllocs()
				b.ResetTimer()
				for b.Loop() {
					if inv.Invoke(ctx, call).Error() != nil {
						b.Fatal("failed")
					}
				}
			})
		}
	}
}

func TestInvokeDoesNotAllocate(t *testing.T) {
	list := nops(100)
	for _, name := range []string{FailoverName, FailfastName, FailsafeName, AvailableName} {
		c, _ := Get(name)
		inv := c.Join(directory.NewStatic(consumer(""), list))
		call := protocol.NewInvocation("sayHello", "world")
		for _, iv := range list {
			loadbalance.DefaultStats().Method(iv.URL(), "sayHello")
		}
		inv.Invoke(context.Background(), call)
		require.Zero(t, testing.AllocsPerRun(100, func() { inv.Invoke(context.Background(), call) }), name)
	}
}
