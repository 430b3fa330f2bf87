package main

import (
	"context"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fleetrpc/fleet/protocol"
)

// benchPlan says how much load to generate.
type benchPlan struct {
	concurrency int           // callers calling in a loop
	calls       int64         // stop after this many calls (0: use duration)
	duration    time.Duration // stop after this long (0: use calls)
	progress    io.Writer     // where the progress bar goes (nil: none)
	tick        time.Duration // progress refresh interval
}

// benchReport is what a load run measured.
type benchReport struct {
	Calls     int64            `json:"calls"`
	Errors    int64            `json:"errors"`
	ByKind    map[string]int64 `json:"errors_by_kind,omitempty"`
	Elapsed   time.Duration    `json:"elapsed_ns"`
	PerSecond float64          `json:"calls_per_second"`
	P50       time.Duration    `json:"p50_ns"`
	P90       time.Duration    `json:"p90_ns"`
	P99       time.Duration    `json:"p99_ns"`
	Max       time.Duration    `json:"max_ns"`
}

// runBench calls invoker with inv from plan.concurrency goroutines until the
// plan is done or ctx ends, and reports throughput, latency percentiles
// (of every call, failed ones included) and errors by kind.
//
// With a duration, no call starts after it, and the calls in flight then
// finish as they would (each within its own timeout): the run's end never
// cuts a call short, so it reports no timeout that did not happen. Calls
// that ctx's end (an interrupt) cut short are left out of the report.
func runBench(ctx context.Context, invoker protocol.Invoker, inv protocol.Invocation, plan benchPlan) benchReport {
	var (
		issued, done atomic.Int64
		wg           sync.WaitGroup
		mu           sync.Mutex
		latencies    []time.Duration
		byKind       = map[string]int64{}
	)
	start := time.Now()
	stopAt := start.Add(plan.duration)
	for w := 0; w < plan.concurrency; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			local := make([]time.Duration, 0, 1024)
			kinds := map[string]int64{}
			for ctx.Err() == nil {
				if plan.calls > 0 && issued.Add(1) > plan.calls {
					break
				}
				t0 := time.Now()
				if plan.duration > 0 && !t0.Before(stopAt) {
					break
				}
				res := invoker.Invoke(ctx, inv)
				elapsed := time.Since(t0)
				if err := res.Error(); err != nil {
					if ctx.Err() != nil {
						break // cut short by the end of the run, not a failure
					}
					kinds[protocol.KindOf(err).String()]++
				}
				local = append(local, elapsed)
				done.Add(1)
			}
			mu.Lock()
			latencies = append(latencies, local...)
			for k, n := range kinds {
				byKind[k] += n
			}
			mu.Unlock()
		}()
	}
	stopProgress := showProgress(plan, &done, start)
	wg.Wait()
	stopProgress()
	elapsed := time.Since(start)

	r := benchReport{Calls: int64(len(latencies)), ByKind: byKind, Elapsed: elapsed}
	for _, n := range byKind {
		r.Errors += n
	}
	if elapsed > 0 {
		r.PerSecond = float64(r.Calls) / elapsed.Seconds()
	}
	if len(latencies) > 0 {
		slices.Sort(latencies)
		r.P50 = percentile(latencies, 50)
		r.P90 = percentile(latencies, 90)
		r.P99 = percentile(latencies, 99)
		r.Max = latencies[len(latencies)-1]
	}
	return r
}

// percentile is the nearest-rank percentile of sorted.
func percentile(sorted []time.Duration, p int) time.Duration {
	rank := (len(sorted)*p + 99) / 100
	if rank < 1 {
		rank = 1
	}
	return sorted[rank-1]
}

// showProgress draws a progress bar until the returned func is called.
func showProgress(plan benchPlan, done *atomic.Int64, start time.Time) func() {
	if plan.progress == nil {
		return func() {}
	}
	tick := plan.tick
	if tick <= 0 {
		tick = 200 * time.Millisecond
	}
	stop := make(chan struct{})
	finished := make(chan struct{})
	draw := func() {
		n := done.Load()
		frac := 0.0
		switch {
		case plan.calls > 0:
			frac = float64(n) / float64(plan.calls)
		case plan.duration > 0:
			frac = float64(time.Since(start)) / float64(plan.duration)
		}
		frac = min(max(frac, 0), 1)
		const width = 30
		filled := int(frac * width)
		fmt.Fprintf(plan.progress, "\r[%s%s] %3.0f%% %d calls", strings.Repeat("#", filled), strings.Repeat(".", width-filled), frac*100, n)
	}
	go func() {
		defer close(finished)
		t := time.NewTicker(tick)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				draw()
			case <-stop:
				draw()
				fmt.Fprintln(plan.progress)
				return
			}
		}
	}()
	return func() {
		close(stop)
		<-finished
	}
}

func (r benchReport) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "calls:    %d in %v (%.0f calls/s)\n", r.Calls, r.Elapsed.Round(time.Millisecond), r.PerSecond)
	fmt.Fprintf(&b, "latency:  p50 %v  p90 %v  p99 %v  max %v\n", r.P50, r.P90, r.P99, r.Max)
	fmt.Fprintf(&b, "errors:   %d", r.Errors)
	for _, k := range slices.Sorted(maps.Keys(r.ByKind)) {
		fmt.Fprintf(&b, "  %s: %d", k, r.ByKind[k])
	}
	b.WriteString("\n")
	return b.String()
}
