package cluster

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/fleetrpc/fleet/cluster/loadbalance"
	"github.com/fleetrpc/fleet/protocol"
)

func TestRetryBudget(t *testing.T) {
	clock := newTestClock()
	b := NewRetryBudget(0.2, 1, 10*time.Second, clock.now)
	sec := func() int64 { return clock.now().Unix() }
	require.InDelta(t, 10, b.Balance(sec()), 1e-9, "the reserve: 1 per second over 10 s")
	for range 10 {
		require.True(t, b.TryWithdraw())
	}
	require.False(t, b.TryWithdraw(), "reserve spent")
	for range 100 {
		b.Deposit()
	}
	require.InDelta(t, 20, b.Balance(sec()), 1e-9)
	clock.advance(5 * time.Second)
	require.InDelta(t, 20, b.Balance(sec()), 1e-9, "still within the ttl")
	clock.advance(5 * time.Second)
	require.InDelta(t, 10, b.Balance(sec()), 1e-9, "deposits and withdrawals expire")
	require.Zero(t, testing.AllocsPerRun(100, func() { b.Deposit(); b.TryWithdraw() }))
}

func TestRetryBudgetBoundsFailover(t *testing.T) {
	tests := []struct {
		name      string
		params    string
		wantCalls int32 // attempts on both providers for 100 calls
	}{
		// Every call fails everywhere: without a budget 3 attempts each.
		{"no budget: Java's retries", "", 300},
		// Reserve 0, ratio 0.5: about one retry per two calls.
		{"budget", "&retry.budget.ratio=0.5&retry.budget.min=0", 150},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ps := providers(always(protocol.KindNetwork, 1000), always(protocol.KindNetwork, 1000))
			inv := joinClocked(&Failover{LoadBalance: &loadbalance.Random{}, Stats: loadbalance.NewStats()}, tt.params, ps, newTestClock())
			var last error
			for range 100 {
				last = invoke(t, inv, "m").Error()
			}
			c := calls(ps)
			require.InDelta(t, tt.wantCalls, c[0]+c[1], 2)
			require.ErrorIs(t, last, protocol.ErrNetwork, "the last error's kind")
			if tt.params != "" {
				require.ErrorIs(t, last, ErrRetryBudget)
			}
		})
	}
}
