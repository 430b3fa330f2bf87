package cluster

import (
	"math/bits"
	"sync"
	"sync/atomic"
	"time"
)

// latencyHistogram learns a method's latency distribution for the hedge
// delay (hedge.percentile): successful attempts' elapsed times in
// logarithmic buckets (8 per power of two, within 12.5 %), over the
// current and the previous window of histWindow, so the percentile follows
// a changing provider within two windows. Lock-free and allocation-free;
// a window is cleared by the first sample after it ended, so a sample
// racing with the clearing may be lost.
type latencyHistogram struct {
	windows [2]histWindowCounts
	cached  atomic.Int64 // the last percentile, ns; 0 unknown
	cacheAt atomic.Int64 // unix ms it was computed
}

type histWindowCounts struct {
	epoch  atomic.Int64 // the window number (unix ms / histWindow)
	counts [histBuckets]atomic.Int64
}

const (
	histSub     = 8
	histExp     = 40 // up to 2^40 µs, about 12 days
	histBuckets = histExp * histSub
	histWindow  = 10 * time.Second
	// histRecompute is how long a computed percentile is reused.
	histRecompute = 200 * time.Millisecond
)

// bucketOf returns the bucket of d.
func bucketOf(d time.Duration) int {
	us := uint64(max(d.Microseconds(), 1))
	e := bits.Len64(us) - 1 // us in [2^e, 2^(e+1))
	if e >= histExp {
		return histBuckets - 1
	}
	var sub uint64
	if e >= 3 {
		sub = (us >> (e - 3)) & (histSub - 1)
	} else {
		sub = (us << (3 - e)) & (histSub - 1)
	}
	return e*histSub + int(sub)
}

// bucketTop is the largest duration of bucket i.
func bucketTop(i int) time.Duration {
	e, sub := i/histSub, uint64(i%histSub)
	top := (uint64(1) << e) * (histSub + sub + 1) / histSub
	return time.Duration(max(top, 1)) * time.Microsecond
}

func (h *latencyHistogram) window(nowMs int64) *histWindowCounts {
	ep := nowMs / histWindow.Milliseconds()
	w := &h.windows[ep%2]
	if old := w.epoch.Load(); old != ep && w.epoch.CompareAndSwap(old, ep) {
		for i := range w.counts {
			w.counts[i].Store(0)
		}
	}
	return w
}

// observe records one successful attempt.
func (h *latencyHistogram) observe(d time.Duration, nowMs int64) {
	h.window(nowMs).counts[bucketOf(d)].Add(1)
}

// percentile is the p-th percentile (0 < p < 100) of the current and the
// previous window, 0 with fewer than hedgeMinSamples samples.
func (h *latencyHistogram) percentile(p float64, nowMs int64) time.Duration {
	if at := h.cacheAt.Load(); nowMs-at < histRecompute.Milliseconds() && nowMs >= at {
		return time.Duration(h.cached.Load())
	}
	ep := nowMs / histWindow.Milliseconds()
	var total int64
	live := [2]bool{}
	for i := range h.windows {
		if e := h.windows[i].epoch.Load(); e == ep || e == ep-1 {
			live[i] = true
			for j := range h.windows[i].counts {
				total += h.windows[i].counts[j].Load()
			}
		}
	}
	var d time.Duration
	if total >= hedgeMinSamples {
		rank := int64(float64(total)*p/100 + 0.5)
		var seen int64
		for j := range histBuckets {
			for i := range h.windows {
				if live[i] {
					seen += h.windows[i].counts[j].Load()
				}
			}
			if seen >= max(rank, 1) {
				d = bucketTop(j)
				break
			}
		}
	}
	h.cached.Store(int64(d))
	h.cacheAt.Store(nowMs)
	return d
}

// histograms holds a latencyHistogram per method, read without a lock.
type histograms struct {
	m  atomic.Pointer[map[string]*latencyHistogram]
	mu sync.Mutex
}

func (hs *histograms) get(method string) *latencyHistogram {
	if m := hs.m.Load(); m != nil {
		if h, ok := (*m)[method]; ok {
			return h
		}
	}
	hs.mu.Lock()
	defer hs.mu.Unlock()
	old := hs.m.Load()
	if old != nil {
		if h, ok := (*old)[method]; ok {
			return h
		}
	}
	next := make(map[string]*latencyHistogram, 1)
	if old != nil {
		for k, v := range *old {
			next[k] = v
		}
	}
	h := &latencyHistogram{}
	next[method] = h
	hs.m.Store(&next)
	return h
}
