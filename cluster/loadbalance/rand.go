package loadbalance

import (
	"math/rand/v2"
	"sync"
	"time"
)

// randIntn returns a number in [0, n) from f, or from math/rand/v2 (safe
// for concurrent use) when f is nil. Balancers take f as their Intn field,
// so tests can make choices repeatable.
func randIntn(f func(int) int, n int) int {
	if f != nil {
		return f(n)
	}
	return rand.IntN(n)
}

// nowFrom returns f(), or time.Now() when f is nil (the balancers' Now
// field).
func nowFrom(f func() time.Time) time.Time {
	if f != nil {
		return f()
	}
	return time.Now()
}

// scratch is per-call working memory of the balancers that collect
// candidates (leastactive, shortestresponse), pooled so Select does not
// allocate in steady state.
type scratch struct {
	idx     []int32
	weights []int32
}

var scratchPool = sync.Pool{New: func() any { return new(scratch) }}

func getScratch(n int) *scratch {
	s := scratchPool.Get().(*scratch)
	if cap(s.idx) < n {
		s.idx = make([]int32, n)
		s.weights = make([]int32, n)
	}
	s.idx, s.weights = s.idx[:n], s.weights[:n]
	return s
}

func putScratch(s *scratch) { scratchPool.Put(s) }
