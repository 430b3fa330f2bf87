package loadbalance

import (
	"container/heap"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/protocol"
)

// The slow-provider simulation: ten providers with eight workers each, one
// of them ten times slower (100 ms a call against 10 ms), and Poisson
// arrivals at 2,000 calls/s — 30% of the fleet's capacity, but 2.5× the
// slow provider's if it gets its even tenth. Calls hash on 1,000 keys. The
// simulation runs on a virtual clock (discrete events), so it is
// deterministic and fast; the balancers see the calls through Stats, as
// they would in a running program.
//
//	go test ./cluster/loadbalance -run TestSlowProviderSimulation -v

type simResult struct {
	name          string
	p50, p99, max time.Duration
	slowShare     float64 // share of calls sent to the slow provider
	slowCalls     int
	minFast       float64 // smallest share of a fast provider
	maxFast       float64 // largest share of a fast provider
}

type simEvent struct {
	at       time.Duration
	provider int
	arrival  time.Duration
	stats    *MethodStats
}

type eventHeap []simEvent

func (h eventHeap) Len() int           { return len(h) }
func (h eventHeap) Less(i, j int) bool { return h[i].at < h[j].at }
func (h eventHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *eventHeap) Push(x any)        { *h = append(*h, x.(simEvent)) }
func (h *eventHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	*h = old[:len(old)-1]
	return e
}

func simulate(name string, lb LoadBalance, stats *Stats, seed uint64) simResult {
	const (
		providers = 10
		workers   = 8
		calls     = 40_000
		rate      = 2000.0 // calls/s
		keys      = 1000
	)
	rng := rand.New(rand.NewPCG(seed, seed))
	list := make([]protocol.Invoker, providers)
	for i := range list {
		list[i] = stub{common.MustParse(fmt.Sprintf("dubbo://10.1.0.%d:20880/org.a.Svc?interface=org.a.Svc", i+1))}
	}
	service := func(p int) time.Duration {
		mean := 10 * time.Millisecond
		if p == 0 {
			mean = 100 * time.Millisecond
		}
		return time.Duration(float64(mean) * (0.5 + rng.Float64())) // uniform ±50%
	}
	invs := make([]protocol.Invocation, keys)
	for i := range invs {
		invs[i] = protocol.NewInvocation("m", fmt.Sprintf("key-%d", i))
	}
	var (
		now     time.Duration
		events  eventHeap
		busy    [providers]int
		queue   [providers][]simEvent
		lat     []time.Duration
		counts  [providers]int
		arrival time.Duration
	)
	start := func(p int, e simEvent) {
		busy[p]++
		e.at = now + service(p)
		heap.Push(&events, e)
	}
	complete := func() {
		e := heap.Pop(&events).(simEvent)
		now = e.at
		d := now - e.arrival
		e.stats.End(d, true)
		lat = append(lat, d)
		busy[e.provider]--
		if q := queue[e.provider]; len(q) > 0 {
			queue[e.provider] = q[1:]
			start(e.provider, q[0])
		}
	}
	for k := 0; k < calls; k++ {
		arrival += time.Duration(rng.ExpFloat64() / rate * float64(time.Second))
		for len(events) > 0 && events[0].at <= arrival {
			complete()
		}
		now = arrival
		inv := invs[rng.IntN(keys)]
		pick := lb.Select(list, nil, inv)
		p := slices.Index(list, pick)
		counts[p]++
		e := simEvent{provider: p, arrival: now, stats: stats.Begin(pick.URL(), "m")}
		if busy[p] < workers {
			start(p, e)
		} else {
			queue[p] = append(queue[p], e)
		}
	}
	for len(events) > 0 {
		complete()
	}
	slices.Sort(lat)
	r := simResult{name: name, p50: lat[len(lat)/2], p99: lat[len(lat)*99/100], max: lat[len(lat)-1],
		slowShare: float64(counts[0]) / calls, slowCalls: counts[0], minFast: 1, maxFast: 0}
	for _, c := range counts[1:] {
		s := float64(c) / calls
		r.minFast, r.maxFast = min(r.minFast, s), max(r.maxFast, s)
	}
	return r
}

func TestSlowProviderSimulation(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("a simulation: single-threaded, deterministic, slow under the race detector")
	}
	results := map[string]simResult{}
	var table strings.Builder
	fmt.Fprintf(&table, "%-16s %9s %9s %9s %17s %17s\n", "balancer", "p50", "p99", "max", "slow share", "fast shares")
	for _, name := range []string{RandomName, RoundRobinName, LeastActiveName, ShortestResponseName, P2CName, ConsistentHashName, BoundedHashName} {
		stats := NewStats()
		rng := rand.New(rand.NewPCG(42, 1))
		var lb LoadBalance
		switch name {
		case RandomName:
			lb = &Random{Intn: rng.IntN}
		case RoundRobinName:
			lb = &RoundRobin{}
		case LeastActiveName:
			lb = &LeastActive{Stats: stats, Intn: rng.IntN}
		case ShortestResponseName:
			lb = &ShortestResponse{Stats: stats, Intn: rng.IntN}
		case P2CName:
			lb = &P2C{Stats: stats, Intn: rng.IntN}
		case ConsistentHashName:
			lb = &ConsistentHash{}
		case BoundedHashName:
			lb = &BoundedHash{Stats: stats}
		}
		r := simulate(name, lb, stats, 7)
		results[name] = r
		fmt.Fprintf(&table, "%-16s %9s %9s %9s %5.1f%% (%5d) %7.1f%%–%5.1f%%\n", r.name,
			roundDur(r.p50), roundDur(r.p99), roundDur(r.max),
			100*r.slowShare, r.slowCalls, 100*r.minFast, 100*r.maxFast)
	}
	t.Logf("one slow provider (100 ms) among ten (10 ms), 8 workers each, 2,000 calls/s:\n%s", table.String())

	// Load-aware balancers keep the slow provider from queueing.
	for _, name := range []string{LeastActiveName, ShortestResponseName, P2CName} {
		require.Less(t, results[name].p99, results[RandomName].p99/4, name)
		require.Less(t, results[name].slowShare, 0.05, name)
	}
	require.Less(t, results[BoundedHashName].p99, results[ConsistentHashName].p99, "bounded loads cut the hash's tail")
	require.InDelta(t, 0.1, results[RandomName].slowShare, 0.01)
}

func roundDur(d time.Duration) time.Duration {
	if d >= time.Second {
		return d.Round(10 * time.Millisecond)
	}
	return d.Round(100 * time.Microsecond)
}
