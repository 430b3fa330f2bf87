package loadbalance

import (
	"time"

	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/protocol"
)

// RandomName is the name of the random balancer, Dubbo's default.
const RandomName = "random"

func init() { Register(RandomName, &Random{}) }

// Random picks an invoker at random in proportion to its Weight (method
// param weight, warm-up applied; cluster.md §4.2): with cumulative weights
// c[i] and their total T > 0, not all equal, it draws an offset in [0, T)
// and picks the first i with offset < c[i]; otherwise it picks uniformly.
// The weights are read from the URLs once per candidate list (table);
// while no candidate warms up, Select is O(log n) (O(1) for equal
// weights), else O(n). It does not allocate once the list has been seen.
type Random struct {
	// Intn returns a number in [0, n); nil means math/rand/v2's IntN.
	// Tests set it to make choices repeatable.
	Intn func(n int) int
	// Now is the clock of the warm-up; nil means time.Now.
	Now func() time.Time

	tables stateMap[tableSlot]
}

// Name is the registered name of the balancer.
func (r *Random) Name() string { return RandomName }

// Select implements LoadBalance.
func (r *Random) Select(invokers []protocol.Invoker, consumer *common.URL, inv protocol.Invocation) protocol.Invoker {
	switch len(invokers) {
	case 0:
		return nil
	case 1:
		return invokers[0]
	}
	t := r.tables.get(invokers, consumer, inv, newTableSlot).tableFor(invokers, protocol.RealMethodName(inv), nil, nil)
	var nowMs int64
	steady := r.Now == nil && t.warmedUp.Load()
	if !steady {
		if t.steadyAfter > 0 {
			nowMs = nowFrom(r.Now).UnixMilli()
		}
		steady = t.steady(nowMs)
		if steady && r.Now == nil {
			// On the real clock a table that is past every warm-up stays
			// so: later calls skip reading the clock.
			t.warmedUp.Store(true)
		}
	}
	if steady {
		if t.total <= 0 || t.same {
			return invokers[randIntn(r.Intn, len(invokers))]
		}
		return invokers[t.pick(int64(randIntn(r.Intn, int(t.total))))]
	}
	total, same, first := 0, true, t.weightAt(0, nowMs)
	for i := range invokers {
		w := t.weightAt(i, nowMs)
		total += w
		if w != first {
			same = false
		}
	}
	if total <= 0 || same {
		return invokers[randIntn(r.Intn, len(invokers))]
	}
	offset := randIntn(r.Intn, total)
	for i, iv := range invokers {
		if offset -= t.weightAt(i, nowMs); offset < 0 {
			return iv
		}
	}
	return invokers[len(invokers)-1]
}
