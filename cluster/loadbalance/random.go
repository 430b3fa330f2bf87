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
// Select does not allocate; it reads the weights twice rather than keep
// them.
type Random struct {
	// Intn returns a number in [0, n); nil means math/rand/v2's IntN.
	// Tests set it to make choices repeatable.
	Intn func(n int) int
	// Now is the clock of the warm-up; nil means time.Now.
	Now func() time.Time
}

// Name is the registered name of the balancer.
func (r *Random) Name() string { return RandomName }

// Select implements LoadBalance.
func (r *Random) Select(invokers []protocol.Invoker, _ *common.URL, inv protocol.Invocation) protocol.Invoker {
	switch len(invokers) {
	case 0:
		return nil
	case 1:
		return invokers[0]
	}
	method := protocol.RealMethodName(inv)
	nowMs := nowFrom(r.Now).UnixMilli()
	total, same, first := 0, true, 0
	for i, iv := range invokers {
		w := urlWeight(iv.URL(), method, nowMs)
		total += w
		if i == 0 {
			first = w
		} else if w != first {
			same = false
		}
	}
	if total <= 0 || same {
		return invokers[randIntn(r.Intn, len(invokers))]
	}
	offset := randIntn(r.Intn, total)
	for _, iv := range invokers {
		offset -= urlWeight(iv.URL(), method, nowMs)
		if offset < 0 {
			return iv
		}
	}
	// The weights changed between the passes (a warm-up step): fall back.
	return invokers[len(invokers)-1]
}
