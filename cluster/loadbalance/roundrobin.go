package loadbalance

import (
	"math"
	"sync/atomic"
	"time"

	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/protocol"
)

// RoundRobinName is the name of the smooth weighted round-robin balancer.
const RoundRobinName = "roundrobin"

func init() { Register(RoundRobinName, &RoundRobin{}) }

// rrRecycle is how long the state of a provider that is no longer among the
// candidates is kept (Java's RECYCLE_PERIOD).
const rrRecycle = 60 * time.Second

// RoundRobin is smooth weighted round robin (cluster.md §4.3), with Java
// Dubbo's state: per service and method, one entry per provider identity
// (URL IdentityString) holding its weight and current value. On each call,
// every candidate's current grows by its Weight (an entry whose weight
// changed restarts at 0), the one with the largest current (the earlier on
// ties) is chosen and its current drops by the total weight. Weights 5:1:1
// give a a b a c a a, and again.
//
// The state is carried across directory snapshots by identity: a provider
// that stays keeps its place. Entries not among the candidates for 60 s are
// dropped when the candidate count differs from the state size.
//
// Select does not allocate once each provider has been seen; it takes no
// lock (concurrent calls interleave their updates, as in Java).
type RoundRobin struct {
	// Now is the clock of warm-up and recycling; nil means time.Now.
	Now func() time.Time

	states stateMap[rrState]
}

type rrState struct {
	table       idTable[rrEntry]
	tables      tableSlot
	lastCleanup atomic.Int64 // unix ms
}

type rrEntry struct {
	weight  atomic.Int64
	current atomic.Int64
}

// Name is the registered name of the balancer.
func (r *RoundRobin) Name() string { return RoundRobinName }

// Select implements LoadBalance.
func (r *RoundRobin) Select(invokers []protocol.Invoker, consumer *common.URL, inv protocol.Invocation) protocol.Invoker {
	switch len(invokers) {
	case 0:
		return nil
	case 1:
		return invokers[0]
	}
	st := r.states.get(invokers, consumer, inv, newRRState)
	t := st.tables.tableFor(invokers, protocol.RealMethodName(inv), nil, &st.table)
	nowMs := nowFrom(r.Now).UnixMilli() // also recycling's clock
	steady := t.steady(nowMs)
	var (
		total    int64
		maxCur   int64 = math.MinInt64
		selected protocol.Invoker
		selEntry *rrEntry
	)
	for i, iv := range invokers {
		var w int64
		if steady {
			w = int64(t.weights[i])
		} else {
			w = int64(t.weightAt(i, nowMs))
		}
		en := t.rrAt(i)
		e := &en.val
		if e.weight.Load() != w {
			e.weight.Store(w)
			e.current.Store(0)
		}
		cur := e.current.Add(w)
		en.lastUsed.Store(nowMs)
		if cur > maxCur {
			maxCur, selected, selEntry = cur, iv, e
		}
		total += w
	}
	if len(invokers) != st.table.len() {
		if last := st.lastCleanup.Load(); nowMs-last >= 1000 && st.lastCleanup.CompareAndSwap(last, nowMs) {
			st.table.prune(func(en *idEntry[rrEntry]) bool {
				return nowMs-en.lastUsed.Load() > rrRecycle.Milliseconds()
			})
		}
	}
	if selected == nil {
		return invokers[0]
	}
	selEntry.current.Add(-total)
	return selected
}

func newRRState() *rrState { return &rrState{} }
