package loadbalance

import (
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/fleetrpc/fleet/protocol"
)

func TestShortestResponse(t *testing.T) {
	now := time.Now() // the window starts when the statistics are created
	stats := NewStats()
	list := named(100, 100, 100)
	record := func(i int, d time.Duration, n int) {
		for k := 0; k < n; k++ {
			stats.Begin(list[i].URL(), "m").End(d, true)
		}
	}
	record(0, 10*time.Millisecond, 4)
	record(1, 4*time.Millisecond, 4)
	record(2, 6*time.Millisecond, 4)
	lb := &ShortestResponse{Stats: stats, Now: func() time.Time { return now }, Intn: func(int) int { panic("no tie") }}
	require.Equal(t, "b", letters(list, []protocol.Invoker{lb.Select(list, nil, protocol.NewInvocation("m"))}))
	// b with one call in flight estimates 8 ms, c 6 ms.
	stats.Begin(list[1].URL(), "m")
	require.Equal(t, "c", letters(list, []protocol.Invoker{lb.Select(list, nil, protocol.NewInvocation("m"))}))
	// A new window forgets the averages: all estimate 0, a tie among all.
	now = now.Add(31 * time.Second)
	lb.Intn = func(n int) int { require.Equal(t, 3, n); return 1 }
	require.Equal(t, "b", letters(list, []protocol.Invoker{lb.Select(list, nil, protocol.NewInvocation("m"))}))
}

func TestP2C(t *testing.T) {
	stats := NewStats()
	list := named(100, 100, 100)
	// a is slow, b fast; c has no samples.
	stats.Begin(list[0].URL(), "m").End(50*time.Millisecond, true)
	stats.Begin(list[1].URL(), "m").End(5*time.Millisecond, true)
	draws := func(seq ...int) func(int) int {
		return func(int) int { v := seq[0]; seq = seq[1:]; return v }
	}
	pick := func(seq ...int) string {
		lb := &P2C{Stats: stats, Intn: draws(seq...)}
		return letters(list, []protocol.Invoker{lb.Select(list, nil, protocol.NewInvocation("m"))})
	}
	require.Equal(t, "b", pick(0, 0), "a vs b: the faster") // i=0, j=0→1
	require.Equal(t, "b", pick(1, 0), "b vs a: the faster") // i=1, j=0
	require.Equal(t, "a", pick(0, 1), "a vs c: c borrows a's latency, tie → first")
	stats.Begin(list[0].URL(), "m")
	require.Equal(t, "c", pick(0, 1), "a has a call in flight")
}

func TestP2CSlowStart(t *testing.T) {
	stats := NewStats()
	now := time.UnixMilli(1_700_000_000_000)
	old := named(100)[0]
	fresh := invokers("timestamp=1699999990000")[0] // up 10 s: weight 1 of 100
	fresh = stub{fresh.URL().WithAddress("10.0.0.9", 20880)}
	list := []protocol.Invoker{old, fresh}
	stats.Begin(old.URL(), "m").End(time.Millisecond, true)
	for i := 0; i < 5; i++ {
		stats.Begin(old.URL(), "m") // 5 in flight
	}
	lb := &P2C{Stats: stats, Now: func() time.Time { return now }, Intn: func(int) int { return 0 }}
	require.Equal(t, old, lb.Select(list, nil, protocol.NewInvocation("m")), "cost 6 vs 1×1/1%")
}

func TestP2CProbesStaleLatency(t *testing.T) {
	stats := NewStats()
	list := named(100, 100)
	stats.Begin(list[0].URL(), "m").End(50*time.Millisecond, true)
	stats.Begin(list[1].URL(), "m").End(5*time.Millisecond, true)
	stats.Begin(list[1].URL(), "m") // b has a call in flight
	now := time.Now()
	lb := &P2C{Stats: stats, Now: func() time.Time { return now }, Intn: func(int) int { return 0 }}
	require.Equal(t, "b", letters(list, []protocol.Invoker{lb.Select(list, nil, protocol.NewInvocation("m"))}), "a is slow: 50 vs 10")
	now = now.Add(DefaultProbeAfter + time.Second)
	require.Equal(t, "a", letters(list, []protocol.Invoker{lb.Select(list, nil, protocol.NewInvocation("m"))}), "stale averages: a has nothing in flight")
}

func TestPeakEWMA(t *testing.T) {
	stats := NewStats()
	u := named(100)[0].URL()
	ms := stats.Method(u, "m")
	t0 := int64(1_700_000_000_000)
	for i := range 20 {
		ms.active.Add(1)
		ms.endAt(10*time.Millisecond, true, t0+int64(i))
	}
	require.InDelta(t, float64(10*time.Millisecond), float64(ms.PeakLatency(t0+20)), float64(time.Microsecond))
	ms.active.Add(1)
	ms.endAt(200*time.Millisecond, true, t0+21)
	require.Equal(t, 200*time.Millisecond, ms.PeakLatency(t0+21), "a slow sample counts at once")
	require.Less(t, ms.Latency(), 100*time.Millisecond, "where the plain average lags")
	decayed := ms.PeakLatency(t0 + 21 + PeakDecay.Milliseconds())
	require.InDelta(t, float64(200*time.Millisecond)/math.E, float64(decayed), float64(time.Millisecond), "decays over PeakDecay")
	ms.active.Add(1)
	ms.endAt(10*time.Millisecond, true, t0+21+PeakDecay.Milliseconds())
	require.InDelta(t, float64(200*time.Millisecond)/math.E+float64(10*time.Millisecond)*(1-1/math.E),
		float64(ms.PeakLatency(t0+21+PeakDecay.Milliseconds())), float64(time.Millisecond), "a fast sample is averaged in by the elapsed time")

	fail := stats.Method(named(100, 100)[1].URL(), "m")
	fail.active.Add(1)
	fail.endAt(time.Millisecond, true, t0)
	fail.active.Add(1)
	fail.endAt(time.Microsecond, false, t0)
	require.Equal(t, 2*time.Millisecond, fail.PeakLatency(t0), "a fast failure doubles the cost")
}

func TestP2CReactsToOneSlowCall(t *testing.T) {
	stats := NewStats()
	list := named(100, 100)
	now := time.Now()
	for range 20 {
		stats.Begin(list[0].URL(), "m").endAt(time.Millisecond, true, now.UnixMilli())
		stats.Begin(list[1].URL(), "m").endAt(2*time.Millisecond, true, now.UnixMilli())
	}
	lb := &P2C{Stats: stats, Now: func() time.Time { return now }, Intn: func(int) int { return 0 }}
	require.Equal(t, "a", letters(list, []protocol.Invoker{lb.Select(list, nil, protocol.NewInvocation("m"))}))
	stats.Begin(list[0].URL(), "m").endAt(50*time.Millisecond, true, now.UnixMilli())
	require.Equal(t, "b", letters(list, []protocol.Invoker{lb.Select(list, nil, protocol.NewInvocation("m"))}), "a's one slow call")
}
