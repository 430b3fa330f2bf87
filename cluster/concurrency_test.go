package cluster

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/fleetrpc/fleet/cluster/loadbalance"
	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/directory"
	"github.com/fleetrpc/fleet/protocol"
)

// TestConcurrentCalls runs every strategy from several goroutines over
// providers that fail now and then, with sticky on, for the race detector.
func TestConcurrentCalls(t *testing.T) {
	for _, name := range allStrategies() {
		t.Run(name, func(t *testing.T) {
			ps := providers(nil, nil, nil, nil)
			for i, p := range ps {
				p.url = common.MustParse(p.url.String() + "&sticky=true&loadbalance=leastactive")
				p.script = make([]protocol.Kind, 400)
				for k := range p.script {
					p.script[k] = ok
					if (k+i)%7 == 0 {
						p.script[k] = protocol.KindNetwork
					}
				}
			}
			var c Cluster
			switch name {
			case FailbackName:
				c = &Failback{RetryPeriod: time.Millisecond, Logger: discard(), Stats: loadbalance.NewStats()}
			case FailsafeName:
				c = &Failsafe{Logger: discard(), Stats: loadbalance.NewStats()}
			case BroadcastName:
				c = &Broadcast{Logger: discard(), Stats: loadbalance.NewStats()}
			default:
				c = strategy(name)
			}
			inv := c.Join(directory.NewStatic(consumer(""), asInvokers(ps)))
			defer inv.Destroy()
			var wg sync.WaitGroup
			for g := 0; g < 4; g++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := 0; i < 50; i++ {
						res := invoke(t, inv, "m")
						if err := res.Error(); errors.Is(err, protocol.ErrBusiness) {
							t.Errorf("no provider raises business errors: %v", err)
						}
						_ = inv.IsAvailable()
					}
				}()
			}
			wg.Wait()
		})
	}
}
