package metrics_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/fleetrpc/fleet/cluster"
	"github.com/fleetrpc/fleet/cluster/loadbalance"
	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/directory"
	"github.com/fleetrpc/fleet/metrics"
	"github.com/fleetrpc/fleet/protocol"
)

// nop answers every call with the same result, so the call path measured
// is fleet's own: filters, cluster, directory, balancer.
type nop struct {
	url *common.URL
	res protocol.Result
}

func (n *nop) URL() *common.URL                                            { return n.url }
func (n *nop) IsAvailable() bool                                           { return true }
func (n *nop) Destroy()                                                    {}
func (n *nop) Invoke(context.Context, protocol.Invocation) protocol.Result { return n.res }

// callPath is a reference's invoker as config builds it with metrics on:
// the consumer filter around a failover cluster over n providers, each
// provider's invoker behind the provider filter (the far end's).
func callPath(t testing.TB, m *metrics.Metrics, n int) protocol.Invoker {
	t.Helper()
	res := protocol.NewResult("ok", nil)
	list := make([]protocol.Invoker, n)
	for i := range list {
		var inv protocol.Invoker = &nop{url: common.MustParse(fmt.Sprintf("dubbo://10.0.%d.%d:20880/org.a.Svc?interface=org.a.Svc&application=p", i>>8&255, i&255)), res: res}
		if m != nil {
			inv = protocol.WithFilters(inv, m.ProviderFilter())
		}
		list[i] = inv
	}
	c, err := cluster.Get(cluster.FailoverName)
	require.NoError(t, err)
	consumer := common.MustParse("consumer://127.0.0.1/org.a.Svc?interface=org.a.Svc&application=c")
	inv := c.Join(directory.NewStatic(consumer, list))
	if m != nil {
		inv = protocol.WithFilters(inv, m.ConsumerFilter())
	}
	for _, p := range list {
		loadbalance.DefaultStats().Method(p.URL(), "sayHello")
	}
	return inv
}

func TestCallPathWithMetricsDoesNotAllocate(t *testing.T) {
	if raceEnabled {
		t.Skip("allocations are not pinned under the race detector")
	}
	m, err := metrics.New()
	require.NoError(t, err)
	inv := callPath(t, m, 100)
	call := protocol.NewInvocation("sayHello", "world")
	ctx := context.Background()
	for i := 0; i < 5000; i++ { // every provider's label children resolved (random picks)
		inv.Invoke(ctx, call)
	}
	require.Zero(t, testing.AllocsPerRun(200, func() { inv.Invoke(ctx, call) }))
}

// BenchmarkCallPath is one call through failover over 10 providers, with
// metrics off and on (consumer filter on the reference, provider filter on
// each provider invoker).
func BenchmarkCallPath(b *testing.B) {
	for _, on := range []bool{false, true} {
		name := "metrics=off"
		var m *metrics.Metrics
		if on {
			name = "metrics=on"
			var err error
			if m, err = metrics.New(); err != nil {
				b.Fatal(err)
			}
		}
		b.Run(name, func(b *testing.B) {
			inv := callPath(b, m, 10)
			call := protocol.NewInvocation("sayHello", "world")
			ctx := context.Background()
			for i := 0; i < 100; i++ {
				inv.Invoke(ctx, call)
			}
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
