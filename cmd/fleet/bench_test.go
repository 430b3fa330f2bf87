package main

import (
	"bytes"
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/protocol"
)

// everyTenth fails every tenth call with a timeout.
type everyTenth struct{ n atomic.Int64 }

func (e *everyTenth) URL() *common.URL  { return common.MustParse("dubbo://127.0.0.1:1/org.a.Svc") }
func (e *everyTenth) IsAvailable() bool { return true }
func (e *everyTenth) Destroy()          {}
func (e *everyTenth) Invoke(context.Context, protocol.Invocation) protocol.Result {
	if e.n.Add(1)%10 == 0 {
		return protocol.ErrorResult(protocol.NewError(protocol.KindTimeout, "org.a.Svc", "m", "127.0.0.1:1", "slow", nil))
	}
	return protocol.NewResult("ok", nil)
}

func TestBenchCountsCallsAndErrors(t *testing.T) {
	var progress bytes.Buffer
	inv := &everyTenth{}
	r := runBench(context.Background(), inv, protocol.NewInvocation("m"), benchPlan{concurrency: 4, calls: 1000, progress: &progress, tick: time.Millisecond})
	require.Equal(t, int64(1000), r.Calls)
	require.Equal(t, int64(1000), inv.n.Load(), "exactly -n calls are made")
	require.Equal(t, int64(100), r.Errors)
	require.Equal(t, map[string]int64{"timeout": 100}, r.ByKind)
	require.LessOrEqual(t, r.P50, r.P90)
	require.LessOrEqual(t, r.P90, r.P99)
	require.LessOrEqual(t, r.P99, r.Max)
	require.Positive(t, r.PerSecond)
	require.Contains(t, progress.String(), "100% 1000 calls")
	require.Contains(t, r.String(), "timeout: 100")
}

func TestBenchDuration(t *testing.T) {
	r := runBench(context.Background(), &everyTenth{}, protocol.NewInvocation("m"), benchPlan{concurrency: 2, duration: 20 * time.Millisecond})
	require.Positive(t, r.Calls)
	require.GreaterOrEqual(t, r.Elapsed, 20*time.Millisecond)
}

func TestPercentile(t *testing.T) {
	sorted := make([]time.Duration, 100)
	for i := range sorted {
		sorted[i] = time.Duration(i + 1)
	}
	require.Equal(t, time.Duration(50), percentile(sorted, 50))
	require.Equal(t, time.Duration(99), percentile(sorted, 99))
	require.Equal(t, time.Duration(1), percentile(sorted[:1], 99))
}

// deadlineBound answers after 2 ms. Like the dubbo invoker, a call whose
// context deadline comes sooner fails at once with a timeout, before the
// context itself reports its end; a call whose context ends fails.
type deadlineBound struct {
	mu          sync.Mutex
	first, last time.Time // starts of the first and the last call
}

func (d *deadlineBound) URL() *common.URL  { return common.MustParse("dubbo://127.0.0.1:1/org.a.Svc") }
func (d *deadlineBound) IsAvailable() bool { return true }
func (d *deadlineBound) Destroy()          {}
func (d *deadlineBound) Invoke(ctx context.Context, _ protocol.Invocation) protocol.Result {
	now := time.Now()
	d.mu.Lock()
	if d.first.IsZero() {
		d.first = now
	}
	d.last = now
	d.mu.Unlock()
	const wait = 2 * time.Millisecond
	timeout := protocol.ErrorResult(protocol.NewError(protocol.KindTimeout, "org.a.Svc", "m", "127.0.0.1:1", "deadline", nil))
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) < wait {
		return timeout
	}
	select {
	case <-time.After(wait):
		return protocol.NewResult("ok", nil)
	case <-ctx.Done():
		return timeout
	}
}

// TestBenchDurationCountsNoFalseTimeouts: the end of a -d run neither
// starts calls nor fails the calls in flight, so a provider that always
// answers in time shows no error (issue 18: up to 9% of calls reported as
// timeouts that never happened).
func TestBenchDurationCountsNoFalseTimeouts(t *testing.T) {
	inv := &deadlineBound{}
	const d = 60 * time.Millisecond
	r := runBench(context.Background(), inv, protocol.NewInvocation("m"), benchPlan{concurrency: 8, duration: d})
	require.Positive(t, r.Calls)
	require.Zero(t, r.Errors, "errors by kind: %v", r.ByKind)
	require.GreaterOrEqual(t, r.P50, 2*time.Millisecond, "every call counted is a whole call")
	require.Less(t, inv.last.Sub(inv.first), d, "no call starts after the run's end")
}

// TestBenchInterruptLeavesOutCutCalls: the calls an interrupt cuts short
// are not reported as failures.
func TestBenchInterruptLeavesOutCutCalls(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	timer := time.AfterFunc(30*time.Millisecond, cancel)
	defer timer.Stop()
	r := runBench(ctx, &deadlineBound{}, protocol.NewInvocation("m"), benchPlan{concurrency: 8, duration: time.Minute})
	require.Positive(t, r.Calls)
	require.Zero(t, r.Errors, "errors by kind: %v", r.ByKind)
	require.Less(t, r.Elapsed, time.Minute)
}
