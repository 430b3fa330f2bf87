package loadbalance

import (
	"time"

	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/protocol"
)

// LeastActiveName is the name of the least-active balancer.
const LeastActiveName = "leastactive"

func init() { Register(LeastActiveName, &LeastActive{}) }

// LeastActive picks among the candidates with the fewest calls in flight
// for the call's method (Stats), as Java's LeastActiveLoadBalance
// (cluster.md §4.4): one → it; several with unequal weights and a positive
// total → a weighted random pick among them (offset in [0, total),
// subtracted in order); otherwise a uniform pick among them.
//
// Select does not allocate in steady state (its working memory is pooled)
// and takes no lock.
type LeastActive struct {
	// Stats are the statistics read; nil means DefaultStats().
	Stats *Stats
	// Intn returns a number in [0, n); nil means math/rand/v2's IntN.
	Intn func(n int) int
	// Now is the clock of the warm-up; nil means time.Now.
	Now func() time.Time

	tables stateMap[tableSlot]
}

// Name is the registered name of the balancer.
func (l *LeastActive) Name() string { return LeastActiveName }

// Select implements LoadBalance.
func (l *LeastActive) Select(invokers []protocol.Invoker, consumer *common.URL, inv protocol.Invocation) protocol.Invoker {
	switch len(invokers) {
	case 0:
		return nil
	case 1:
		return invokers[0]
	}
	t := l.tables.get(invokers, consumer, inv, newTableSlot).tableFor(invokers, protocol.RealMethodName(inv), statsOr(l.Stats), nil)
	nowMs := nowFrom(l.Now).UnixMilli()
	sc := getScratch(len(invokers))
	defer putScratch(sc)
	var least int64 = -1
	count, total, first, same := 0, 0, 0, true
	for i := range invokers {
		active := t.statsAt(i).Active()
		w := t.weightAt(i, nowMs)
		sc.weights[i] = int32(w)
		switch {
		case least == -1 || active < least:
			least, count, total, first, same = active, 1, w, w, true
			sc.idx[0] = int32(i)
		case active == least:
			sc.idx[count] = int32(i)
			count++
			total += w
			if w != first {
				same = false
			}
		}
	}
	return pickAmong(invokers, sc, count, total, same, l.Intn)
}

// pickAmong is the tie-break of leastactive and shortestresponse over the
// count candidates listed in sc.idx.
func pickAmong(invokers []protocol.Invoker, sc *scratch, count, total int, same bool, intn func(int) int) protocol.Invoker {
	if count == 1 {
		return invokers[sc.idx[0]]
	}
	if !same && total > 0 {
		offset := randIntn(intn, total)
		for _, i := range sc.idx[:count] {
			offset -= int(sc.weights[i])
			if offset < 0 {
				return invokers[i]
			}
		}
	}
	return invokers[sc.idx[randIntn(intn, count)]]
}

func statsOr(s *Stats) *Stats {
	if s != nil {
		return s
	}
	return defaultStats
}
