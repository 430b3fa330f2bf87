package loadbalance

import (
	"context"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/protocol"
)

// Stats holds call statistics per provider and method (Java's RpcStatus):
// calls in flight, successes, failures, elapsed time and an exponentially
// weighted moving average of latency. leastactive, shortestresponse, p2c
// and boundedhash read them; whoever calls the providers records them,
// through Stats.Invoke or the filter of Stats.Filter. The cluster
// strategies of package cluster do so for every attempt.
//
// Providers are keyed by their URL's IdentityString, so statistics survive
// a new directory snapshot. Every method is safe for concurrent use and,
// once a provider and method have been seen, does not lock or allocate.
// Statistics of providers idle for ten minutes with nothing in flight are
// dropped when a new provider is first seen; no goroutine is involved.
type Stats struct {
	table     idTable[providerStats]
	lastPrune atomic.Int64 // unix ms
}

// statsIdle is how long a provider's statistics outlive its last call.
const statsIdle = 10 * time.Minute

// ewmaAlpha is the weight of a new latency sample in the moving average.
const ewmaAlpha = 0.3

var defaultStats = NewStats()

// DefaultStats returns the process-wide statistics that the balancers use
// when their Stats field is nil and that package cluster records by
// default, as Java keeps one RpcStatus table per process.
func DefaultStats() *Stats { return defaultStats }

// NewStats returns an empty table, for tests and for programs that keep
// separate statistics per reference.
func NewStats() *Stats { return &Stats{} }

type providerStats struct {
	mu      sync.Mutex                     // serialises additions to methods
	methods atomic.Pointer[[]*MethodStats] // copy on write
}

// MethodStats are the statistics of one provider and method. Its methods
// are lock-free.
type MethodStats struct {
	method           string
	created          int64 // unix ms, immutable
	owner            *idEntry[providerStats]
	detached         atomic.Bool // the provider's statistics were pruned
	active           atomic.Int64
	total            atomic.Int64
	failed           atomic.Int64
	succeeded        atomic.Int64
	succeededElapsed atomic.Int64  // ns
	ewma             atomic.Uint64 // float64 bits, ns; 0 before the first sample
	peak             atomic.Uint64 // float64 bits, ns: the peak-EWMA cost (p2c)
	peakAt           atomic.Int64  // unix ms of peak's last sample
	lastEnd          atomic.Int64  // unix ms of the last End
	// shortestresponse's sliding window: counters at the window's start.
	windowStart     atomic.Int64 // unix ms
	succeededOffset atomic.Int64
	elapsedOffset   atomic.Int64
}

// Method returns the statistics of the provider at u for method, creating
// them when absent. The result is never nil.
func (s *Stats) Method(u *common.URL, method string) *MethodStats {
	en := s.table.get(u)
	if ms := en.val.find(method); ms != nil {
		return ms
	}
	return s.add(en, method)
}

func (p *providerStats) find(method string) *MethodStats {
	if list := p.methods.Load(); list != nil {
		for _, ms := range *list {
			if ms.method == method {
				return ms
			}
		}
	}
	return nil
}

func (s *Stats) add(en *idEntry[providerStats], method string) *MethodStats {
	now := time.Now().UnixMilli()
	p := &en.val
	p.mu.Lock()
	ms := p.find(method)
	if ms == nil {
		ms = &MethodStats{method: method, created: now, owner: en}
		ms.windowStart.Store(now)
		var list []*MethodStats
		if old := p.methods.Load(); old != nil {
			list = append(list, *old...)
		}
		list = append(list, ms)
		p.methods.Store(&list)
		en.lastUsed.Store(now)
	}
	p.mu.Unlock()
	if last := s.lastPrune.Load(); now-last > time.Minute.Milliseconds() && s.lastPrune.CompareAndSwap(last, now) {
		s.table.prune(func(e *idEntry[providerStats]) bool {
			if now-e.lastUsed.Load() < statsIdle.Milliseconds() {
				return false
			}
			list := e.val.methods.Load()
			if list != nil {
				for _, m := range *list {
					if m.active.Load() != 0 {
						return false
					}
				}
				for _, m := range *list {
					m.detached.Store(true)
				}
			}
			return true
		})
	}
	return ms
}

// Begin records the start of a call and returns the statistics to pass the
// outcome to with End.
func (s *Stats) Begin(u *common.URL, method string) *MethodStats {
	ms := s.Method(u, method)
	ms.active.Add(1)
	return ms
}

// End records the end of a call begun with Begin: its elapsed time and
// whether it succeeded (a business error is a success: the provider
// answered, as Java's RpcStatus counts it).
func (ms *MethodStats) End(elapsed time.Duration, succeeded bool) {
	ms.endAt(elapsed, succeeded, time.Now().UnixMilli())
}

// endAt is End with the wall clock of the end (unix ms) given.
func (ms *MethodStats) endAt(elapsed time.Duration, succeeded bool, now int64) {
	ms.active.Add(-1)
	ms.total.Add(1)
	ns := elapsed.Nanoseconds()
	if succeeded {
		ms.succeeded.Add(1)
		ms.succeededElapsed.Add(ns)
	} else {
		ms.failed.Add(1)
	}
	ms.observe(float64(ns))
	ms.observePeak(float64(ns), succeeded, now)
	ms.lastEnd.Store(now)
	ms.owner.lastUsed.Store(now)
}

func (ms *MethodStats) observe(sample float64) {
	for {
		old := ms.ewma.Load()
		next := sample
		if old != 0 {
			prev := math.Float64frombits(old)
			next = prev + ewmaAlpha*(sample-prev)
		}
		if next == 0 {
			next = math.SmallestNonzeroFloat64
		}
		if ms.ewma.CompareAndSwap(old, math.Float64bits(next)) {
			return
		}
	}
}

// PeakDecay is the time constant of the peak-EWMA latency (Finagle's
// PeakEwma decayTime): a sample's weight halves in about 0.7 × PeakDecay.
const PeakDecay = 10 * time.Second

// observePeak folds one sample into the peak-EWMA cost: a sample above the
// current cost replaces it at once (a provider turning slow is noticed on
// its first slow call), one below it is averaged in with a weight that
// grows with the time since the last sample. A failure counts as twice the
// current cost at least, so a provider failing fast does not look cheap.
func (ms *MethodStats) observePeak(sample float64, succeeded bool, nowMs int64) {
	for {
		old := ms.peak.Load()
		cur := math.Float64frombits(old)
		if !succeeded {
			sample = max(sample, 2*cur)
		}
		next := sample
		if old != 0 && sample < cur {
			dt := float64(max(nowMs-ms.peakAt.Load(), 0))
			w := math.Exp(-dt / float64(PeakDecay.Milliseconds()))
			next = cur*w + sample*(1-w)
		}
		if next == 0 {
			next = math.SmallestNonzeroFloat64
		}
		if ms.peak.CompareAndSwap(old, math.Float64bits(next)) {
			ms.peakAt.Store(nowMs)
			return
		}
	}
}

// PeakLatency is the peak-EWMA latency at nowMs (unix ms): the cost of the
// last samples, decayed towards zero over PeakDecay since the last one, so
// a provider avoided for a slow spell is tried again. 0 before the first
// call ended.
func (ms *MethodStats) PeakLatency(nowMs int64) time.Duration {
	b := ms.peak.Load()
	if b == 0 {
		return 0
	}
	dt := float64(max(nowMs-ms.peakAt.Load(), 0))
	return time.Duration(math.Float64frombits(b) * math.Exp(-dt/float64(PeakDecay.Milliseconds())))
}

// Active is the number of calls in flight.
func (ms *MethodStats) Active() int64 { return ms.active.Load() }

// Total is the number of calls ended.
func (ms *MethodStats) Total() int64 { return ms.total.Load() }

// Failed is the number of calls ended with an RPC error.
func (ms *MethodStats) Failed() int64 { return ms.failed.Load() }

// Succeeded is the number of calls ended without an RPC error.
func (ms *MethodStats) Succeeded() int64 { return ms.succeeded.Load() }

// SucceededElapsed is the total elapsed time of the successful calls.
func (ms *MethodStats) SucceededElapsed() time.Duration {
	return time.Duration(ms.succeededElapsed.Load())
}

// Latency is the moving average of the calls' elapsed time, 0 before the
// first call ended.
func (ms *MethodStats) Latency() time.Duration {
	b := ms.ewma.Load()
	if b == 0 {
		return 0
	}
	return time.Duration(math.Float64frombits(b))
}

// Created is when the statistics were first asked for, a stand-in for the
// time the provider was first seen.
func (ms *MethodStats) Created() time.Time { return time.UnixMilli(ms.created) }

// estimate is shortestresponse's expected response time (ns): the average
// elapsed time of the successes in the current window times the calls in
// flight plus one; 0 with no success in the window. The window restarts
// every period.
func (ms *MethodStats) estimate(nowMs int64, period time.Duration) int64 {
	if start := ms.windowStart.Load(); nowMs-start > period.Milliseconds() && ms.windowStart.CompareAndSwap(start, nowMs) {
		ms.succeededOffset.Store(ms.succeeded.Load())
		ms.elapsedOffset.Store(ms.succeededElapsed.Load())
	}
	n := ms.succeeded.Load() - ms.succeededOffset.Load()
	if n <= 0 {
		return 0
	}
	avg := (ms.succeededElapsed.Load() - ms.elapsedOffset.Load()) / n
	return avg * (ms.active.Load() + 1)
}

// Invoke calls next, recording the call in s. Its signature is a
// protocol.Filter's: package cluster records each attempt with it.
func (s *Stats) Invoke(ctx context.Context, next protocol.Invoker, inv protocol.Invocation) protocol.Result {
	ms := s.Begin(next.URL(), protocol.RealMethodName(inv))
	start := time.Now()
	res := next.Invoke(ctx, inv)
	err := res.Error()
	elapsed := time.Since(start) // the monotonic clock only: cheaper than a second time.Now
	ms.endAt(elapsed, err == nil || protocol.IsBusiness(err), start.UnixMilli()+elapsed.Milliseconds())
	return res
}

// Filter returns a filter recording every call in s, for invokers called
// outside a cluster strategy. Do not combine it with a strategy of package
// cluster over the same Stats: each call would count twice.
func (s *Stats) Filter() protocol.Filter { return protocol.FilterFunc(s.Invoke) }
