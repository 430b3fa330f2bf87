package router

import (
	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/protocol"
)

// window is how far ahead in the previous snapshot's invokers Next looks
// for the next invoker before it falls back to a map: snapshots usually
// keep their order (the directory sorts by address), so a few removals only
// shift positions a little.
//
// mapMisses is how many misses in a row make Next give up the window and
// look the invokers up in a map.
const (
	window    = 8
	mapMisses = 16
)

// stageOf returns the compiled stage of c whose router is r, when c's work
// for r can be reused (PerInvoker, or an Incremental router's); nil
// otherwise (and for a nil c).
func (c *Chain) stageOf(r Router) *stage {
	if c == nil || !comparableRouter(r) {
		return nil
	}
	for i := 0; i < c.compiled; i++ {
		s := &c.stages[i]
		if (s.perInvoker || s.next) && s.router == r {
			return s
		}
	}
	return nil
}

func comparableRouter(r Router) bool {
	if r == nil {
		return false
	}
	return comparableType(r)
}

// reuse maps a new snapshot's invokers to the previous one's.
type reuse struct {
	src   []int32            // per new invoker: its position in the previous snapshot, -1 when new
	fresh []protocol.Invoker // the new invokers with src -1, in order
}

func newReuse(prev, next []protocol.Invoker) *reuse {
	r := &reuse{src: make([]int32, len(next))}
	var index map[protocol.Invoker]int32
	j, run, runStart, freshAtRun := 0, 0, 0, 0
	for i := 0; i < len(next); i++ {
		x := next[i]
		k := int32(-1)
		if comparable(x) {
			if index != nil {
				if p, ok := index[x]; ok {
					k = p
				}
			} else {
				for p := j; p < len(prev) && p < j+window; p++ {
					// x's type is comparable, so == cannot panic: values
					// of another type are simply unequal.
					if prev[p] == x {
						k = int32(p)
						break
					}
				}
			}
		}
		r.src[i] = k
		if k >= 0 {
			j, run = int(k)+1, 0
			continue
		}
		r.fresh = append(r.fresh, x)
		if index != nil {
			continue
		}
		if run == 0 {
			runStart, freshAtRun = i, len(r.fresh)-1
		}
		if run++; run > mapMisses {
			// Lost track (a block removed, a reordering): look the rest up
			// in a map, from the start of this run of misses.
			index = make(map[protocol.Invoker]int32, len(prev))
			for p, y := range prev {
				if comparable(y) {
					index[y] = int32(p)
				}
			}
			r.fresh = r.fresh[:freshAtRun]
			i = runStart - 1
		}
	}
	return r
}

// compile compiles cr over the new invokers only and merges the result with
// ps, the previous chain's stage of cr. It reports false when the results
// do not fit together (then the caller compiles in full).
func (r *reuse) compile(cr Compilable, consumer *common.URL, ps *stage) (Compiled, bool) {
	fc, err := safeCompile(cr, consumer, r.fresh)
	if err != nil || !fc.PerInvoker || len(fc.Outcomes) != len(ps.outcomes) {
		return Compiled{}, false
	}
	out := Compiled{Outcomes: make([]Outcome, len(fc.Outcomes)), Decide: fc.Decide, PerInvoker: true}
	for k, o := range fc.Outcomes {
		po := ps.outcomes[k]
		if o.All != po.All || o.Force != po.Force || (o.Fallback == nil) != (po.Fallback == nil) {
			return Compiled{}, false
		}
		if o.All {
			out.Outcomes[k] = o
			continue
		}
		out.Outcomes[k] = Outcome{Pool: r.merge(po.Pool, o.Pool), Force: o.Force}
		if o.Fallback != nil {
			fb := r.merge(*po.Fallback, *o.Fallback)
			out.Outcomes[k].Fallback = &fb
		}
	}
	return out, true
}

// merge builds the pool over the new invokers from prev (over the previous
// snapshot's) and fresh (over the new invokers only).
func (r *reuse) merge(prev, fresh Pool) Pool {
	pool, fi := NewPool(len(r.src)), 0
	for i, s := range r.src {
		if s >= 0 {
			if prev.Has(int(s)) {
				pool.Add(i)
			}
			continue
		}
		if fresh.Has(fi) {
			pool.Add(i)
		}
		fi++
	}
	return pool
}
