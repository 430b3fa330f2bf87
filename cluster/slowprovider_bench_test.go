//go:build go1.25

package cluster

import (
	"context"
	"fmt"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/fleetrpc/fleet/cluster/loadbalance"
	"github.com/fleetrpc/fleet/directory"
	"github.com/fleetrpc/fleet/protocol"
)

// The slow-provider and retry simulations on a virtual clock
// (testing/synctest): the providers' latencies, the timeouts, the hedge
// delays, the ejections and the budget's seconds are exact, whatever the
// load of the machine, so the percentiles measure the strategies alone.
// Each case runs in a bubble of its own.
//
//	go test ./cluster -run 'TestSlowProviderSimulation|TestRetryAmplificationSimulation' -v
//
// Under the race detector the runs are shorter, so that the suite stays
// quick.

// raceBuild reports whether the test binary was built with -race.
func raceBuild() bool {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return false
	}
	for _, s := range bi.Settings {
		if s.Key == "-race" {
			return s.Value == "true"
		}
	}
	return false
}

// TestSlowProviderSimulation: ten providers, one 50× slower (250 ms
// against 5 ms, past the 100 ms timeout), 16 callers, failover
// (retries=2), 20,000 calls (about 6 s of virtual time) measured from the first (cold) and after 500
// (warm). The slow provider's calls time out and are retried elsewhere, so
// a balancer that keeps sending it its tenth has a p99 past the timeout;
// p2c, ejection and hedging bring it down.
func TestSlowProviderSimulation(t *testing.T) {
	calls := 20000
	if raceBuild() {
		calls = 2000
	}
	cases := []struct {
		name, lb, params string
		warmP99          string // "slow": at the timeout or past it; "fast": under it; "": not asserted
	}{
		{"random", loadbalance.RandomName, "", "slow"},
		// leastactive sends the slow provider about 0.7 % of the calls:
		// close to the 1 % that decides its p99.
		{"leastactive", loadbalance.LeastActiveName, "", ""},
		{"p2c", loadbalance.P2CName, "", "fast"},
		{"p2c + ejection", loadbalance.P2CName, "&outlier.consecutive=3&outlier.ejection=60s", "fast"},
		{"p2c + hedging", loadbalance.P2CName, "&hedge.delay=15ms", "fast"},
		{"random + ejection", loadbalance.RandomName, "&outlier.consecutive=3&outlier.ejection=60s", "fast"},
		{"random + hedging", loadbalance.RandomName, "&hedge.delay=15ms", "fast"},
	}
	var table strings.Builder
	table.WriteString("| strategy | cold p50 | cold p99 | cold p99.9 | warm p50 | warm p99 | warm p99.9 | slow share (cold / warm) | attempts/call (warm) |\n")
	table.WriteString("| --- | --- | --- | --- | --- | --- | --- | --- | --- |\n")
	colds, warms := make([]simOutcome, len(cases)), make([]simOutcome, len(cases))
	for i, tc := range cases {
		synctest.Test(t, func(*testing.T) { colds[i] = simulateSlowProvider(tc.lb, tc.params, 0, calls, simCallers) })
		synctest.Test(t, func(*testing.T) { warms[i] = simulateSlowProvider(tc.lb, tc.params, simWarmupCalls, calls, simCallers) })
		cold, warm := colds[i], warms[i]
		fmt.Fprintf(&table, "| %s | %.1f ms | %.1f ms | %.1f ms | %.1f ms | %.1f ms | %.1f ms | %.2f %% / %.2f %% | %.3f |\n",
			tc.name, cold.pct(0.5), cold.pct(0.99), cold.pct(0.999), warm.pct(0.5), warm.pct(0.99), warm.pct(0.999),
			cold.slowShare(), warm.slowShare(), warm.attemptsPerCall())
	}
	t.Log("\n" + table.String())
	for i, tc := range cases {
		cold, warm := colds[i], warms[i]
		for _, o := range []simOutcome{cold, warm} {
			require.Len(t, o.lat, calls, tc.name)
			require.Zero(t, o.failed, "%s: failover answers every call", tc.name)
			require.InDelta(t, 5.0, o.pct(0.5), 0.5, "%s: the median call is a fast provider's", tc.name)
		}
		timeoutMs := float64(simTimeout / time.Millisecond)
		switch tc.warmP99 {
		case "fast":
			require.Less(t, warm.pct(0.99), timeoutMs, "%s: warm p99 under the timeout", tc.name)
		case "slow":
			require.GreaterOrEqual(t, warm.pct(0.99), timeoutMs, "%s: the slow provider's timeouts reach the p99", tc.name)
		}
	}
}

// TestRetryAmplificationSimulation: ten providers each failing 30 % of
// their calls (a brown-out; a call takes 1 ms, 4 ms under -race), 16 callers, failover
// (retries=2), 20 s of virtual time: without a budget every failure is
// retried (1 + 0.3 + 0.09 attempts per call); a budget holds the extra
// attempts to its ratio plus its floor of 10 a second.
func TestRetryAmplificationSimulation(t *testing.T) {
	run, latency := 20*time.Second, time.Millisecond
	if raceBuild() {
		run, latency = 4*time.Second, 4*time.Millisecond
	}
	cases := []struct {
		name   string
		params string
		ratio  float64 // 0: no budget
	}{
		{"no budget", "", 0},
		{"budget 0.1", "&retry.budget.ratio=0.1", 0.1},
		{"budget 0.2", "&retry.budget.ratio=0.2", 0.2},
	}
	var table strings.Builder
	table.WriteString("| retry budget | calls | attempts/call | failed calls |\n| --- | --- | --- | --- |\n")
	for _, tc := range cases {
		var calls, attempts, failed int64
		synctest.Test(t, func(*testing.T) { calls, attempts, failed = brownOut(tc.params, run, latency) })
		perCall := float64(attempts) / float64(calls)
		fmt.Fprintf(&table, "| %s | %d | %.3f | %.1f %% |\n", tc.name, calls, perCall, 100*float64(failed)/float64(calls))
		if tc.ratio == 0 {
			require.InDelta(t, 1.39, perCall, 0.03, "%s: every failure retried", tc.name)
			require.InDelta(t, 0.027, float64(failed)/float64(calls), 0.01, "%s: 0.3³ of the calls fail", tc.name)
			continue
		}
		// Extra attempts: ratio × calls plus the floor, 10 a second over
		// the run and the reserve of one TTL (10 s) at the start.
		limit := tc.ratio*float64(calls) + float64(DefaultRetryBudgetMin)*(run+DefaultRetryBudgetTTL).Seconds()
		require.LessOrEqual(t, float64(attempts-calls), limit+float64(simCallers), "%s: extra attempts within the budget", tc.name)
		require.Greater(t, float64(attempts-calls), tc.ratio*float64(calls)*0.8, "%s: the budget is used", tc.name)
	}
	t.Log("\n" + table.String())
}

// brownOut calls flaky providers (30 % failures, latency a call) from 16
// callers for d of virtual time and counts calls, attempts and failures.
func brownOut(params string, d, latency time.Duration) (calls, attempts, failed int64) {
	var att atomic.Int64
	list := make([]protocol.Invoker, simProviders)
	for i := range list {
		list[i] = &flaky{
			url:      simURL(2, i),
			failRate: 0.3,
			attempts: &att,
			latency:  latency,
		}
	}
	inv := (&Failover{Stats: loadbalance.NewStats(), Logger: discard()}).
		Join(directory.NewStatic(consumer("&retries=2"+params), list))
	defer inv.Destroy()
	call := protocol.NewInvocation("who")
	end := time.Now().Add(d)
	var n, bad atomic.Int64
	var wg sync.WaitGroup
	for range simCallers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(end) {
				n.Add(1)
				if inv.Invoke(context.Background(), call).Error() != nil {
					bad.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	return n.Load(), att.Load(), bad.Load()
}
