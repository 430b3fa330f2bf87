package main

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// loadPlan says how much load a consumer generates.
type loadPlan struct {
	callers  int           // concurrent callers, each calling in a loop
	calls    int64         // stop after this many calls (0: use duration)
	duration time.Duration // stop issuing calls after this long (0: use calls)
}

// loadResult is what one load run measured.
type loadResult struct {
	Calls    int64         `json:"calls"`  // calls completed, failed ones included
	Errors   int64         `json:"errors"` // calls that failed
	FirstErr string        `json:"first_error,omitempty"`
	Elapsed  time.Duration `json:"elapsed_ns"`
	P50      time.Duration `json:"p50_ns"`
	P99      time.Duration `json:"p99_ns"`
}

// PerSecond is the throughput of the run.
func (r loadResult) PerSecond() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Calls) / r.Elapsed.Seconds()
}

// runLoad calls call from plan.callers goroutines until plan is done or ctx
// ends. With a duration no call starts after it and the calls in flight
// finish, so the run's end fails no call; latencies are of every completed
// call.
func runLoad(ctx context.Context, call func(context.Context) error, plan loadPlan) loadResult {
	var (
		issued   atomic.Int64
		errs     atomic.Int64
		firstErr atomic.Pointer[string]
		wg       sync.WaitGroup
	)
	lat := make([][]time.Duration, plan.callers)
	start := time.Now()
	stopAt := start.Add(plan.duration)
	for g := range plan.callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			mine := make([]time.Duration, 0, 4096)
			for ctx.Err() == nil {
				if plan.calls > 0 && issued.Add(1) > plan.calls {
					break
				}
				t0 := time.Now()
				if plan.duration > 0 && !t0.Before(stopAt) {
					break
				}
				if err := call(ctx); err != nil {
					if ctx.Err() != nil {
						break
					}
					errs.Add(1)
					msg := err.Error()
					firstErr.CompareAndSwap(nil, &msg)
				}
				mine = append(mine, time.Since(t0))
			}
			lat[g] = mine
		}()
	}
	wg.Wait()
	r := loadResult{Elapsed: time.Since(start), Errors: errs.Load()}
	if p := firstErr.Load(); p != nil {
		r.FirstErr = *p
	}
	all := slices.Concat(lat...)
	r.Calls = int64(len(all))
	if len(all) > 0 {
		slices.Sort(all)
		r.P50 = percentile(all, 50)
		r.P99 = percentile(all, 99)
	}
	return r
}

// percentile is the nearest-rank percentile of sorted.
func percentile(sorted []time.Duration, p int) time.Duration {
	rank := (len(sorted)*p + 99) / 100
	return sorted[max(rank, 1)-1]
}
