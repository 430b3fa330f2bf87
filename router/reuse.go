package router

import (
	"reflect"

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
	moves Moves
	fresh []protocol.Invoker // the new invokers, in order
}

// reuseOf is the reuse of moves (checked by the caller) over next.
func reuseOf(m Moves, next []protocol.Invoker) *reuse {
	r := &reuse{moves: m}
	m.Fresh(func(i int) { r.fresh = append(r.fresh, next[i]) })
	return r
}

// newReuse finds next's invokers in prev by identity: within a window of
// where the last one was found, then, once it has lost track, in a map.
func newReuse(prev, next []protocol.Invoker) *reuse {
	r := &reuse{moves: Moves{n: len(next), prev: len(prev)}}
	var index map[protocol.Invoker]int32
	var cmp comparer
	j, run, runStart, freshAtRun := 0, 0, 0, 0
	for i := 0; i < len(next); i++ {
		x := next[i]
		k := int32(-1)
		if cmp.ok(x) {
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
		if k >= 0 {
			r.moves.keep(i, int(k))
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
				if cmp.ok(y) {
					index[y] = int32(p)
				}
			}
			r.fresh = r.fresh[:freshAtRun]
			i = runStart - 1
		}
	}
	return r
}

// keep records that invoker i is the previous snapshot's invoker from;
// i ascends from call to call.
func (m *Moves) keep(i, from int) {
	if k := len(m.runs) - 1; k >= 0 && m.runs[k].At+m.runs[k].Len == i && m.runs[k].From+m.runs[k].Len == from {
		m.runs[k].Len++
		return
	}
	m.runs = append(m.runs, Run{At: i, From: from, Len: 1})
}

// comparer reports whether values can be compared with ==, remembering the
// last dynamic type it looked at (a snapshot's invokers are mostly of one).
type comparer struct {
	last reflect.Type
	okv  bool
}

func (c *comparer) ok(v any) bool {
	t := reflect.TypeOf(v)
	if t != c.last || t == nil {
		c.last, c.okv = t, t != nil && t.Comparable()
	}
	return c.okv
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
	pool, fi := r.moves.Pool(prev), 0
	r.moves.Fresh(func(i int) {
		if fresh.Has(fi) {
			pool.Add(i)
		}
		fi++
	})
	return pool
}
