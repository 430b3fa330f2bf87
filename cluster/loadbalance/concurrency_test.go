package loadbalance

import (
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/fleetrpc/fleet/protocol"
)

// TestConcurrentSelect runs every balancer from several goroutines while
// calls begin and end and the candidate list changes (new snapshots, some
// providers warming up), for the race detector and for invariants: a pick
// is always one of the candidates.
func TestConcurrentSelect(t *testing.T) {
	lists := [][]protocol.Invoker{fleetOf(5), fleetOf(12), invokers("timestamp="+itoa(time.Now().UnixMilli()-1000), "", "weight=7")}
	for _, name := range allBalancers {
		t.Run(name, func(t *testing.T) {
			stats := NewStats()
			var lb LoadBalance
			switch name {
			case LeastActiveName:
				lb = &LeastActive{Stats: stats}
			case ShortestResponseName:
				lb = &ShortestResponse{Stats: stats}
			case P2CName:
				lb = &P2C{Stats: stats}
			case BoundedHashName:
				lb = &BoundedHash{Stats: stats}
			case RandomName:
				lb = &Random{}
			case RoundRobinName:
				lb = &RoundRobin{}
			case ConsistentHashName:
				lb = &ConsistentHash{}
			}
			var wg sync.WaitGroup
			for g := 0; g < 4; g++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := 0; i < 500; i++ {
						list := lists[(i+g)%len(lists)]
						inv := protocol.NewInvocation("m", itoa(int64(i%17)))
						p := lb.Select(list, nil, inv)
						if !slices.Contains(list, p) {
							t.Errorf("%v is not a candidate", p)
							return
						}
						ms := stats.Begin(p.URL(), "m")
						ms.End(time.Duration(i)*time.Microsecond, i%5 != 0)
					}
				}()
			}
			wg.Wait()
			for _, list := range lists {
				for _, iv := range list {
					require.Zero(t, stats.Method(iv.URL(), "m").Active())
				}
			}
		})
	}
}

func itoa(n int64) string { return string(appendArg(nil, n)) }
