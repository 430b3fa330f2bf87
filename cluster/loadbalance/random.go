package loadbalance

import (
	"math/rand/v2"

	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/protocol"
)

// RandomName is the name of the random balancer, Dubbo's default.
const RandomName = "random"

func init() { Register(RandomName, &Random{}) }

// Random picks an invoker at random, in proportion to the weight method
// param of each invoker's URL (default 100). When all weights are equal it
// picks uniformly. It does not apply Dubbo's warm-up.
type Random struct {
	// Intn returns a number in [0, n); nil means math/rand/v2's IntN.
	// Tests set it to make choices repeatable.
	Intn func(n int) int
}

// Select implements LoadBalance.
func (r *Random) Select(invokers []protocol.Invoker, _ *common.URL, inv protocol.Invocation) protocol.Invoker {
	switch len(invokers) {
	case 0:
		return nil
	case 1:
		return invokers[0]
	}
	method := protocol.RealMethodName(inv)
	total, same, first := 0, true, -1
	for i, iv := range invokers {
		w := weight(iv.URL(), method)
		total += w
		if i == 0 {
			first = w
		} else if w != first {
			same = false
		}
	}
	if total <= 0 || same {
		return invokers[r.intn(len(invokers))]
	}
	offset := r.intn(total)
	for _, iv := range invokers {
		offset -= weight(iv.URL(), method)
		if offset < 0 {
			return iv
		}
	}
	return invokers[len(invokers)-1]
}

func (r *Random) intn(n int) int {
	if r.Intn != nil {
		return r.Intn(n)
	}
	return rand.IntN(n)
}

// weight is the weight method param of u, default 100; malformed or
// negative weights count as 0.
func weight(u *common.URL, method string) int {
	w, err := u.MethodParamInt(method, common.WeightKey, common.DefaultWeight)
	if err != nil || w < 0 {
		return 0
	}
	return w
}
