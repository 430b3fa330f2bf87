package cluster

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/fleetrpc/fleet/cluster/loadbalance"
	"github.com/fleetrpc/fleet/protocol"
)

func TestHedgeWinsOverSlowProvider(t *testing.T) {
	ps := providers(nil, nil)
	ps[0].delay.Store(int64(time.Hour))
	inv := joinClocked(&Failover{LoadBalance: inOrder{}, Stats: loadbalance.NewStats()}, "&hedge.delay=20ms", ps, newTestClock())
	res := invoke(t, inv, "m")
	require.NoError(t, res.Error())
	require.Equal(t, "10.0.0.2:20880", res.Value(), "the hedge answered")
	require.Eventually(t, func() bool { return ps[0].cancelled.Load() == 1 }, defaultTestTimeout, time.Millisecond, "the loser is cancelled")
}

func TestHedgeNotSentWhenFast(t *testing.T) {
	ps := providers(nil, nil)
	inv := joinClocked(&Failover{LoadBalance: inOrder{}, Stats: loadbalance.NewStats()}, "&hedge.delay=1h", ps, newTestClock())
	for range 10 {
		require.NoError(t, invoke(t, inv, "m").Error())
	}
	require.Equal(t, []int32{10, 0}, calls(ps))
}

func TestHedgeFailureStartsNextAttempt(t *testing.T) {
	ps := providers(always(protocol.KindNetwork, 1), always(protocol.KindNetwork, 1), nil)
	inv := joinClocked(&Failover{LoadBalance: inOrder{}, Stats: loadbalance.NewStats()}, "&hedge.delay=1h", ps, newTestClock())
	res := invoke(t, inv, "m")
	require.NoError(t, res.Error())
	require.Equal(t, "10.0.0.3:20880", res.Value(), "failover within the hedged call")
	require.Equal(t, []int32{1, 1, 1}, calls(ps))

	ps = providers(always(protocol.KindNetwork, 9), always(protocol.KindNetwork, 9), always(protocol.KindNetwork, 9))
	inv = joinClocked(&Failover{LoadBalance: inOrder{}, Stats: loadbalance.NewStats()}, "&hedge.delay=1h&retries=1", ps, newTestClock())
	err := invoke(t, inv, "m").Error()
	require.ErrorIs(t, err, protocol.ErrNetwork)
	require.ErrorContains(t, err, "Tried 2 times")
}

func TestHedgeBusinessErrorWins(t *testing.T) {
	ps := providers([]protocol.Kind{protocol.KindBusiness}, nil)
	inv := joinClocked(&Failover{LoadBalance: inOrder{}, Stats: loadbalance.NewStats()}, "&hedge.delay=1h", ps, newTestClock())
	require.ErrorIs(t, invoke(t, inv, "m").Error(), protocol.ErrBusiness)
	require.Equal(t, []int32{1, 0}, calls(ps), "never retried")
}

func TestHedgeWithinBudget(t *testing.T) {
	ps := providers(nil, nil)
	ps[0].delay.Store(int64(time.Hour))
	inv := joinClocked(&Failover{LoadBalance: inOrder{}, Stats: loadbalance.NewStats()},
		"&hedge.delay=5ms&retry.budget.ratio=0.01&retry.budget.min=0&timeout=50", ps, newTestClock())
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	err := inv.Invoke(ctx, protocol.NewInvocation("m")).Error()
	require.Error(t, err, "no budget for the hedge: the slow attempt alone, cut by the deadline")
	require.Equal(t, int32(0), ps[1].calls.Load())
}

func TestHedgeLearnedPercentile(t *testing.T) {
	ps := providers(nil, nil)
	inv := joinClocked(&Failover{LoadBalance: inOrder{}, Stats: loadbalance.NewStats()}, "&methods=m&m.hedge.percentile=90", ps, newTestClock())
	b := inv.(interface{ baseOf() *base }).baseOf()
	mp := b.params.get(b.dir.URL(), "m")
	require.Equal(t, 90.0, mp.hedge.percentile)
	f := inv.(*failoverInvoker)
	require.Zero(t, f.hedgeDelay("m", mp), "nothing learned yet, no fixed delay: no hedge")
	for range 30 {
		require.NoError(t, invoke(t, inv, "m").Error())
	}
	h := b.latencies.get("m")
	h.cacheAt.Store(0)
	require.Positive(t, f.hedgeDelay("m", mp), "learned from the successes")
}

func TestLatencyHistogram(t *testing.T) {
	var h latencyHistogram
	now := int64(1_000_000_000)
	for i := 1; i <= 100; i++ {
		h.observe(time.Duration(i)*time.Millisecond, now)
	}
	for _, tt := range []struct {
		p    float64
		want time.Duration
	}{{50, 50 * time.Millisecond}, {90, 90 * time.Millisecond}, {99, 99 * time.Millisecond}} {
		h.cacheAt.Store(0)
		got := h.percentile(tt.p, now)
		require.InEpsilon(t, float64(tt.want), float64(got), 0.13, "p%v", tt.p)
		require.GreaterOrEqual(t, got, tt.want, "a bucket's top")
	}
	h.cacheAt.Store(0)
	require.Positive(t, h.percentile(50, now+histWindow.Milliseconds()), "the previous window still counts")
	h.cacheAt.Store(0)
	require.Zero(t, h.percentile(50, now+3*histWindow.Milliseconds()), "forgotten after two windows")
	for _, d := range []time.Duration{0, time.Microsecond, 3 * time.Microsecond, time.Second, 100 * time.Hour * 24 * 365} {
		i := bucketOf(d)
		require.True(t, i >= 0 && i < histBuckets)
		if d >= time.Microsecond && d < time.Hour {
			require.GreaterOrEqual(t, bucketTop(i), d, "%v", d)
		}
	}
}
