package loadbalance

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/protocol"
)

// fleetOf returns n providers with mixed weights (so the weighted paths
// run), registered long ago (no warm-up).
func fleetOf(n int) []protocol.Invoker {
	out := make([]protocol.Invoker, n)
	for i := range out {
		out[i] = stub{common.MustParse(fmt.Sprintf(
			"dubbo://10.%d.%d.%d:20880/org.a.Svc?interface=org.a.Svc&weight=%d&timestamp=1600000000000",
			i>>16&255, i>>8&255, i&255, 100+i%3*50))}
	}
	return out
}

var allBalancers = []string{RandomName, RoundRobinName, LeastActiveName, ShortestResponseName, ConsistentHashName, P2CName, BoundedHashName}

func TestEveryBalancerIsRegistered(t *testing.T) {
	require.Equal(t, []string{BoundedHashName, ConsistentHashName, LeastActiveName, P2CName, RandomName, RoundRobinName, ShortestResponseName}, Names())
}

func TestSelectDoesNotAllocate(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector makes sync.Pool drop items")
	}
	consumer := common.MustParse("consumer://10.9.9.9/org.a.Svc?interface=org.a.Svc&group=g&version=1.0")
	for _, name := range allBalancers {
		for _, n := range []int{2, 10, 1000, 10000} {
			t.Run(fmt.Sprintf("%s/%d", name, n), func(t *testing.T) {
				if n > 1000 && testing.Short() {
					t.Skip("builds 10,000-provider tables")
				}
				lb, err := Get(name)
				require.NoError(t, err)
				list := fleetOf(n)
				inv := protocol.NewInvocation("sayHello", "user-42", int64(7))
				warm(list, "sayHello")
				lb.Select(list, consumer, inv) // first sight: state is built
				allocs := testing.AllocsPerRun(100, func() {
					if lb.Select(list, consumer, inv) == nil {
						t.Fatal("no pick")
					}
				})
				require.Zero(t, allocs)
			})
		}
	}
}

func BenchmarkSelect(b *testing.B) {
	consumer := common.MustParse("consumer://10.9.9.9/org.a.Svc?interface=org.a.Svc")
	for _, name := range allBalancers {
		for _, n := range []int{10, 1000, 10000} {
			b.Run(fmt.Sprintf("%s/%d", name, n), func(b *testing.B) {
				lb, _ := Get(name)
				list := fleetOf(n)
				inv := protocol.NewInvocation("sayHello", "user-42")
				warm(list, "sayHello")
				lb.Select(list, consumer, inv)
				b.ReportAllocs()
				b.ResetTimer()
				for b.Loop() {
					lb.Select(list, consumer, inv)
				}
			})
		}
	}
}

// warm makes every provider known to the default statistics, as the
// calls of a running program do.
func warm(list []protocol.Invoker, method string) {
	for _, iv := range list {
		DefaultStats().Method(iv.URL(), method)
	}
}

func TestAlternatingListsKeepTheirTables(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector makes sync.Pool drop items")
	}
	// Two references to one service with different routes alternate
	// lists: neither evicts the other's table or ring.
	a, b := fleetOf(20), fleetOf(30)
	inv := protocol.NewInvocation("sayHello", "k")
	for _, name := range allBalancers {
		lb, _ := Get(name)
		warm(a, "sayHello")
		warm(b, "sayHello")
		lb.Select(a, nil, inv)
		lb.Select(b, nil, inv)
		require.Zero(t, testing.AllocsPerRun(50, func() {
			lb.Select(a, nil, inv)
			lb.Select(b, nil, inv)
		}), name)
	}
}
