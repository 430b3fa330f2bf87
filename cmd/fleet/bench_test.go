package main

import (
	"bytes"
	"context"
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
