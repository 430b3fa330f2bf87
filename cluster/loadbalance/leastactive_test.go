package loadbalance

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/protocol"
)

func TestLeastActiveTies(t *testing.T) {
	// Weights 1/9/6, actives 0/0/1: the third never, the others ≈ 1:9.
	stats := NewStats()
	list := named(1, 9, 6)
	stats.Begin(list[2].URL(), "m")
	rng := rand.New(rand.NewPCG(7, 7))
	lb := &LeastActive{Stats: stats, Intn: rng.IntN}
	counts := map[string]int{}
	for i := 0; i < 10000; i++ {
		counts[letters(list, []protocol.Invoker{lb.Select(list, nil, protocol.NewInvocation("m"))})]++
	}
	require.Zero(t, counts["c"])
	require.InDelta(t, 1000, counts["a"], 120)
	require.InDelta(t, 9000, counts["b"], 120)

	// Offsets: 0 → a, 1–9 → b.
	for offset, want := range map[int]string{0: "a", 1: "b", 9: "b"} {
		lb := &LeastActive{Stats: stats, Intn: func(n int) int {
			require.Equal(t, 10, n)
			return offset
		}}
		require.Equal(t, want, letters(list, []protocol.Invoker{lb.Select(list, nil, protocol.NewInvocation("m"))}))
	}
}

func TestLeastActivePicksTheLeast(t *testing.T) {
	stats := NewStats()
	list := named(100, 100, 100)
	for _, i := range []int{0, 0, 1, 2, 2} {
		stats.Begin(list[i].URL(), "m")
	}
	lb := &LeastActive{Stats: stats, Intn: func(int) int { panic("no draw with one least") }}
	require.Equal(t, "b", letters(list, []protocol.Invoker{lb.Select(list, nil, protocol.NewInvocation("m"))}))
	// Per method: another method sees no calls in flight; equal weights
	// draw an index among all three.
	lb.Intn = func(n int) int { require.Equal(t, 3, n); return 2 }
	require.Equal(t, "c", letters(list, []protocol.Invoker{lb.Select(list, nil, protocol.NewInvocation("other"))}))
}

func TestStatsRecordCalls(t *testing.T) {
	stats := NewStats()
	iv := named(1)[0]
	res := stats.Invoke(t.Context(), iv, protocol.NewInvocation("m"))
	require.NoError(t, res.Error())
	ms := stats.Method(iv.URL(), "m")
	require.Equal(t, int64(0), ms.Active())
	require.Equal(t, int64(1), ms.Total())
	require.Equal(t, int64(1), ms.Succeeded())
	require.Positive(t, ms.Latency())
	// The same identity behind another URL value shares the statistics.
	require.Same(t, ms, stats.Method(named(1)[0].URL(), "m"))
	require.NotSame(t, ms, stats.Method(iv.URL(), "n"))
}

func TestStatsPruneIdleProviders(t *testing.T) {
	stats := NewStats()
	list := named(1, 1)
	ms := stats.Method(list[0].URL(), "m")
	busy := stats.Begin(list[1].URL(), "m")
	// Pretend both were last used long ago and the last prune was too.
	for _, u := range []*common.URL{list[0].URL(), list[1].URL()} {
		stats.table.get(u).lastUsed.Store(time.Now().Add(-time.Hour).UnixMilli())
	}
	stats.lastPrune.Store(0)
	stats.Method(named(1, 1, 1)[2].URL(), "m") // a new provider triggers the prune
	require.True(t, ms.detached.Load(), "idle and nothing in flight: dropped")
	require.False(t, busy.detached.Load(), "a call in flight keeps it")
	require.NotSame(t, ms, stats.Method(list[0].URL(), "m"), "new statistics after the prune")
	require.Same(t, busy, stats.Method(list[1].URL(), "m"))
	// A table holding dropped statistics looks them up again.
	tbl := buildTable(list, "m", stats, nil)
	tbl.stats[0] = ms
	require.Same(t, stats.Method(list[0].URL(), "m"), tbl.statsAt(0))
}
