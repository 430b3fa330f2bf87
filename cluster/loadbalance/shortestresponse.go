package loadbalance

import (
	"math"
	"time"

	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/protocol"
)

// ShortestResponseName is the name of the shortest-response balancer.
const ShortestResponseName = "shortestresponse"

func init() { Register(ShortestResponseName, &ShortestResponse{}) }

// DefaultSlidePeriod is the window over which shortestresponse averages
// response times (Java's SHORTEST_RESPONSE_SLIDE_PERIOD).
const DefaultSlidePeriod = 30 * time.Second

// ShortestResponse picks the candidate with the shortest expected response
// (cluster.md §4.5): the average elapsed time of its successful calls of
// the method in the current window times its calls in flight plus one, 0
// for a provider without successes in the window. Ties are broken as
// LeastActive does. The window restarts every SlidePeriod, lazily, on a
// read.
//
// Select does not allocate in steady state and takes no lock.
type ShortestResponse struct {
	// Stats are the statistics read; nil means DefaultStats().
	Stats *Stats
	// SlidePeriod is the averaging window; 0 means DefaultSlidePeriod.
	SlidePeriod time.Duration
	// Intn returns a number in [0, n); nil means math/rand/v2's IntN.
	Intn func(n int) int
	// Now is the clock of the warm-up and the window; nil means time.Now.
	Now func() time.Time

	tables stateMap[tableSlot]
}

// Name is the registered name of the balancer.
func (s *ShortestResponse) Name() string { return ShortestResponseName }

// Select implements LoadBalance.
func (s *ShortestResponse) Select(invokers []protocol.Invoker, consumer *common.URL, inv protocol.Invocation) protocol.Invoker {
	switch len(invokers) {
	case 0:
		return nil
	case 1:
		return invokers[0]
	}
	t := s.tables.get(invokers, consumer, inv, newTableSlot).tableFor(invokers, protocol.RealMethodName(inv), statsOr(s.Stats), nil)
	period := s.SlidePeriod
	if period <= 0 {
		period = DefaultSlidePeriod
	}
	nowMs := nowFrom(s.Now).UnixMilli()
	sc := getScratch(len(invokers))
	defer putScratch(sc)
	var shortest int64 = math.MaxInt64
	count, total, first, same := 0, 0, 0, true
	for i := range invokers {
		est := t.statsAt(i).estimate(nowMs, period)
		w := t.weightAt(i, nowMs)
		sc.weights[i] = int32(w)
		switch {
		case est < shortest:
			shortest, count, total, first, same = est, 1, w, w, true
			sc.idx[0] = int32(i)
		case est == shortest:
			sc.idx[count] = int32(i)
			count++
			total += w
			if w != first {
				same = false
			}
		}
	}
	return pickAmong(invokers, sc, count, total, same, s.Intn)
}
