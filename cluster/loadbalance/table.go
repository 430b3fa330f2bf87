package loadbalance

import (
	"slices"
	"sync/atomic"
	"unsafe"

	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/protocol"
)

// table is what a balancer precomputes for one candidate list and method
// (DESIGN.md: balancers keep their state per snapshot): each candidate's
// weight parameters read from its URL once, the cumulative weights for the
// time when no candidate is warming up, and, for the balancers that need
// them, each candidate's statistics and round-robin entry. It is immutable
// once published.
//
// A table is recognised by the list it was built from: the same slice
// (data pointer and length) with the same first and last invokers. A
// directory's lists are immutable snapshots, so that identifies them; a
// new slice (a new snapshot, a reselect subset) builds a new table, which
// is the only time Select allocates.
type table struct {
	src         *protocol.Invoker
	n           int
	first, last protocol.Invoker

	weights     []int32     // the weight method param, negative or malformed as 0
	ts          []int64     // the timestamp param (ms), 0 when absent
	warmup      []int64     // the warmup param (ms)
	steadyAfter int64       // unix ms from which every weight is its weights[i]
	warmedUp    atomic.Bool // seen steady on the real clock: no need to read it again
	cum         []int64     // cumulative weights[i]
	total       int64
	same        bool // all weights[i] equal

	stats    []*MethodStats      // per candidate, when built with a Stats
	statsOf  *Stats              // the Stats of stats
	rr       []*idEntry[rrEntry] // per candidate, for roundrobin
	rrOf     *idTable[rrEntry]
	urls     []*common.URL
	methodNm string
}

// slotWays is how many candidate lists a balancer keeps tables (or rings)
// for per service and method: two references to one service with
// different routes, or a failover's reselect subsets, then do not evict
// each other's on every call.
const slotWays = 4

// tableSlot holds the latest tables of one balancer, service and method.
type tableSlot struct {
	p    [slotWays]atomic.Pointer[table]
	next atomic.Uint32 // the way the next new table replaces
}

func newTableSlot() *tableSlot { return &tableSlot{} }

func (t *table) matches(invokers []protocol.Invoker) bool {
	n := len(invokers)
	return t.src == unsafe.SliceData(invokers) && t.n == n && t.first == invokers[0] && t.last == invokers[n-1]
}

// tableFor returns the slot's table when it was built from invokers, else
// builds one (with stats and rr entries when given) and publishes it.
func (s *tableSlot) tableFor(invokers []protocol.Invoker, method string, stats *Stats, rr *idTable[rrEntry]) *table {
	for i := range s.p {
		if t := s.p[i].Load(); t != nil && t.matches(invokers) && t.statsOf == stats && t.rrOf == rr {
			return t
		}
	}
	t := buildTable(invokers, method, stats, rr)
	s.p[s.next.Add(1)%slotWays].Store(t)
	return t
}

func buildTable(invokers []protocol.Invoker, method string, stats *Stats, rr *idTable[rrEntry]) *table {
	n := len(invokers)
	t := &table{
		src: unsafe.SliceData(invokers), n: n, first: invokers[0], last: invokers[n-1],
		weights: make([]int32, n), ts: make([]int64, n), warmup: make([]int64, n), cum: make([]int64, n),
		urls: make([]*common.URL, n), same: true, statsOf: stats, rrOf: rr, methodNm: method,
	}
	for i, iv := range invokers {
		u := iv.URL()
		t.urls[i] = u
		w, _ := u.MethodParamNonNegativeInt(method, common.WeightKey, common.DefaultWeight)
		t.weights[i] = int32(w)
		if ts, err := u.ParamInt64(common.TimestampKey, 0); err == nil && ts > 0 {
			t.ts[i] = ts
		}
		wm, _ := u.ParamNonNegativeDuration(common.WarmupKey, common.DefaultWarmup)
		t.warmup[i] = wm.Milliseconds()
		if w > 0 && t.ts[i] > 0 {
			t.steadyAfter = max(t.steadyAfter, t.ts[i]+t.warmup[i])
		}
		t.total += int64(w)
		t.cum[i] = t.total
		if t.weights[i] != t.weights[0] {
			t.same = false
		}
	}
	if stats != nil {
		t.stats = make([]*MethodStats, n)
		for i, u := range t.urls {
			t.stats[i] = stats.Method(u, method)
		}
	}
	if rr != nil {
		t.rr = make([]*idEntry[rrEntry], n)
		for i, u := range t.urls {
			t.rr[i] = rr.get(u)
		}
	}
	return t
}

// steady reports whether no candidate is in its warm-up at nowMs, so that
// the weights are the precomputed ones.
func (t *table) steady(nowMs int64) bool { return nowMs >= t.steadyAfter }

// weightAt is urlWeight of candidate i at nowMs, without reading the URL.
func (t *table) weightAt(i int, nowMs int64) int {
	w := int(t.weights[i])
	if w > 0 && t.ts[i] > 0 {
		up := nowMs - t.ts[i]
		if up < 0 {
			return 1
		}
		if up > 0 && up < t.warmup[i] {
			return warmupWeight(up, t.warmup[i], w)
		}
	}
	return w
}

// statsAt is candidate i's statistics; statistics pruned since the table
// was built are looked up again.
func (t *table) statsAt(i int) *MethodStats {
	ms := t.stats[i]
	if ms.detached.Load() {
		return t.statsOf.Method(t.urls[i], t.methodNm)
	}
	return ms
}

// rrAt is candidate i's round-robin entry, looked up again when recycled.
func (t *table) rrAt(i int) *idEntry[rrEntry] {
	en := t.rr[i]
	if en.removed.Load() {
		return t.rrOf.get(t.urls[i])
	}
	return en
}

// pick returns the index whose cumulative weight first exceeds offset.
func (t *table) pick(offset int64) int {
	i, _ := slices.BinarySearch(t.cum, offset+1)
	return i
}
