package cluster

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fleetrpc/fleet/cluster/loadbalance"
	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/directory"
	"github.com/fleetrpc/fleet/protocol"
)

// The resilience benchmarks: a slow provider among ten, and retries under
// a brown-out. Providers are in-process fakes whose latency is real (they
// sleep), so the balancers' statistics, the calls in flight, the
// ejections and the hedges all see real time.
//
//	go test ./cluster -run '^$' -bench 'BenchmarkSlowProvider|BenchmarkRetryAmplification' -benchtime 4000x

// Slow-provider simulation parameters: one provider of ten is 50× slower
// than the others and slower than the call timeout, so its calls time out
// and failover retries them elsewhere.
const (
	simProviders   = 10
	simFast        = 5 * time.Millisecond
	simSlow        = 50 * simFast
	simTimeout     = 20 * simFast
	simCallers     = 16
	simWarmupCalls = 500
)

// simURL is the URL of the i-th provider of a simulation's net.
func simURL(net, i int) *common.URL {
	return common.MustParse(fmt.Sprintf("dubbo://10.0.%d.%d:20880/org.a.Svc?interface=org.a.Svc", net, i+1))
}

// latent answers after its latency, or fails with a timeout error when the
// latency passes the call's timeout (as the dubbo invoker would), or with a
// network error when ctx ends first (a hedge's loser, cancelled).
type latent struct {
	url      *common.URL
	latency  time.Duration
	timeout  time.Duration
	attempts *atomic.Int64
	mine     atomic.Int64
}

func (l *latent) URL() *common.URL  { return l.url }
func (l *latent) IsAvailable() bool { return true }
func (l *latent) Destroy()          {}
func (l *latent) Invoke(ctx context.Context, _ protocol.Invocation) protocol.Result {
	l.attempts.Add(1)
	l.mine.Add(1)
	wait, err := l.latency, error(nil)
	if wait > l.timeout {
		wait = l.timeout
		err = protocol.NewError(protocol.KindTimeout, l.url.ServiceKey(), "who", l.url.Address(), "timed out", nil)
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return protocol.ErrorResult(protocol.NewError(protocol.KindNetwork, l.url.ServiceKey(), "who", l.url.Address(), "cancelled", ctx.Err()))
	case <-t.C:
	}
	if err != nil {
		return protocol.ErrorResult(err)
	}
	return protocol.NewResult("ok", nil)
}

// BenchmarkSlowProvider calls ten providers, one 50× slower (250 ms
// against 5 ms, past the 100 ms timeout), from 16 callers through failover
// (retries=2), and reports the latency percentiles of the calls, the slow
// provider's share of the attempts and the attempts per call: cold (from
// the first call, learning included) and warm (after 500 unmeasured
// calls).
func BenchmarkSlowProvider(b *testing.B) {
	cases := []struct {
		name, lb, params string
	}{
		{"random", loadbalance.RandomName, ""},
		{"leastactive", loadbalance.LeastActiveName, ""},
		{"p2c", loadbalance.P2CName, ""},
		{"p2c+ejection", loadbalance.P2CName, "&outlier.consecutive=3&outlier.ejection=60s"},
		{"p2c+hedging", loadbalance.P2CName, "&hedge.delay=15ms"},
		{"random+ejection", loadbalance.RandomName, "&outlier.consecutive=3&outlier.ejection=60s"},
		{"random+hedging", loadbalance.RandomName, "&hedge.delay=15ms"},
	}
	for _, tc := range cases {
		for _, warm := range []bool{false, true} {
			name := tc.name + "/cold"
			if warm {
				name = tc.name + "/warm"
			}
			b.Run(name, func(b *testing.B) { slowProvider(b, tc.lb, tc.params, warm) })
		}
	}
}

// slowProvider is one case of BenchmarkSlowProvider: balancer lbName,
// consumer params, measured after a warm-up or from the first call.
func slowProvider(b *testing.B, lbName, params string, warm bool) {
	warmCalls := 0
	if warm {
		warmCalls = simWarmupCalls
	}
	b.ReportAllocs()
	b.ResetTimer()
	o := simulateSlowProvider(lbName, params, warmCalls, b.N, simCallers)
	b.StopTimer()
	b.ReportMetric(o.pct(0.50), "p50-ms")
	b.ReportMetric(o.pct(0.99), "p99-ms")
	b.ReportMetric(o.pct(0.999), "p999-ms")
	b.ReportMetric(o.slowShare(), "slow-%")
	b.ReportMetric(o.attemptsPerCall(), "attempts/call")
	b.ReportMetric(100*float64(o.failed)/float64(b.N), "failed-%")
}

// simOutcome is what a run of the slow-provider simulation measured.
type simOutcome struct {
	lat          []time.Duration // sorted
	failed       int
	attempts     int64
	slowAttempts int64
}

// pct is the p-th quantile (0 < p < 1) of the latencies, in ms.
func (o *simOutcome) pct(p float64) float64 {
	if len(o.lat) == 0 {
		return 0
	}
	return float64(o.lat[min(int(float64(len(o.lat))*p), len(o.lat)-1)]) / float64(time.Millisecond)
}

func (o *simOutcome) slowShare() float64 {
	return 100 * float64(o.slowAttempts) / float64(max(o.attempts, 1))
}

func (o *simOutcome) attemptsPerCall() float64 {
	return float64(o.attempts) / float64(max(len(o.lat), 1))
}

// simulateSlowProvider makes calls calls from callers goroutines through
// failover (retries=2, balancer lbName, consumer params) over ten latent
// providers, the last one 50× slower, after warmCalls unmeasured ones.
func simulateSlowProvider(lbName, params string, warmCalls, calls, callers int) simOutcome {
	var attempts atomic.Int64
	list := make([]protocol.Invoker, simProviders)
	var slow *latent
	for i := range list {
		l := &latent{
			url:      simURL(1, i),
			latency:  simFast,
			timeout:  simTimeout,
			attempts: &attempts,
		}
		if i == simProviders-1 {
			l.latency, slow = simSlow, l
		}
		list[i] = l
	}
	stats := loadbalance.NewStats()
	lb, _ := loadbalance.Get(lbName)
	switch lbName {
	case loadbalance.P2CName:
		lb = &loadbalance.P2C{Stats: stats}
	case loadbalance.LeastActiveName:
		lb = &loadbalance.LeastActive{Stats: stats}
	}
	inv := (&Failover{LoadBalance: lb, Stats: stats, Logger: discard()}).
		Join(directory.NewStatic(consumer("&retries=2"+params), list))
	defer inv.Destroy()

	call := protocol.NewInvocation("who")
	run := func(calls int) (lat []time.Duration, failed int) {
		var (
			mu   sync.Mutex
			wg   sync.WaitGroup
			next atomic.Int64
		)
		for range callers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				var mine []time.Duration
				bad := 0
				for next.Add(1) <= int64(calls) {
					t0 := time.Now()
					if inv.Invoke(context.Background(), call).Error() != nil {
						bad++
					}
					mine = append(mine, time.Since(t0))
				}
				mu.Lock()
				lat = append(lat, mine...)
				failed += bad
				mu.Unlock()
			}()
		}
		wg.Wait()
		return lat, failed
	}
	if warmCalls > 0 {
		run(warmCalls)
	}
	attempts.Store(0)
	slow.mine.Store(0)
	lat, failed := run(calls)
	slices.Sort(lat)
	return simOutcome{lat: lat, failed: failed, attempts: attempts.Load(), slowAttempts: slow.mine.Load()}
}

// flaky fails a share of its calls with a network error, after its
// latency (none: at once).
type flaky struct {
	url      *common.URL
	failRate float64
	attempts *atomic.Int64
	latency  time.Duration
}

func (f *flaky) URL() *common.URL  { return f.url }
func (f *flaky) IsAvailable() bool { return true }
func (f *flaky) Destroy()          {}
func (f *flaky) Invoke(context.Context, protocol.Invocation) protocol.Result {
	f.attempts.Add(1)
	if f.latency > 0 {
		time.Sleep(f.latency)
	}
	if rand.Float64() < f.failRate {
		return protocol.ErrorResult(protocol.NewError(protocol.KindNetwork, f.url.ServiceKey(), "who", f.url.Address(), "brown-out", nil))
	}
	return protocol.NewResult("ok", nil)
}

// BenchmarkRetryAmplification calls ten providers that each fail 30 % of
// their calls (a brown-out) through failover (retries=2), without and with
// a retry budget of 10 % (and its floor of 10 retries a second), and
// reports the attempts per call and the calls that failed.
func BenchmarkRetryAmplification(b *testing.B) {
	cases := []struct{ name, params string }{
		{"no-budget", ""},
		{"budget-0.1", "&retry.budget.ratio=0.1"},
		{"budget-0.2", "&retry.budget.ratio=0.2"},
	}
	for _, tc := range cases {
		b.Run(tc.name, func(b *testing.B) {
			var attempts atomic.Int64
			list := make([]protocol.Invoker, simProviders)
			for i := range list {
				list[i] = &flaky{
					url:      simURL(2, i),
					failRate: 0.3,
					attempts: &attempts,
				}
			}
			inv := (&Failover{Stats: loadbalance.NewStats(), Logger: discard()}).
				Join(directory.NewStatic(consumer("&retries=2"+tc.params), list))
			defer inv.Destroy()
			call := protocol.NewInvocation("who")
			ctx := context.Background()
			failed := 0
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				if inv.Invoke(ctx, call).Error() != nil {
					failed++
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(attempts.Load())/float64(b.N), "attempts/call")
			b.ReportMetric(100*float64(failed)/float64(b.N), "failed-%")
		})
	}
}
