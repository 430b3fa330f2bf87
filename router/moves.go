package router

import (
	"fmt"
	"sort"
)

// Moves maps the invokers of a snapshot to those of the snapshot before it
// (Chain.NextMoved, Incremental.CompileNext): runs of invokers kept, the
// same values in the same order; every invoker outside the runs is new. A
// change of a few providers among many is a few runs, so what is derived
// from them (pools, a router's per-invoker records) costs in proportion to
// the runs and the words of a pool, not to the invokers. Immutable.
type Moves struct {
	runs []Run
	n    int // invokers of the snapshot
	prev int // invokers of the snapshot before
}

// Run is a run of kept invokers: the snapshot's invokers [At, At+Len) are
// the previous snapshot's [From, From+Len).
type Run struct{ At, From, Len int }

// NewMoves returns the moves from a snapshot of prev invokers to one of n:
// runs ascending by At, disjoint, each within both snapshots (runs of
// length 0 are dropped). It does not keep runs.
func NewMoves(n, prev int, runs []Run) (Moves, error) {
	m := Moves{n: n, prev: prev}
	end := 0
	for _, r := range runs {
		if r.Len == 0 {
			continue
		}
		if r.Len < 0 || r.At < end || r.From < 0 || r.At+r.Len > n || r.From+r.Len > prev {
			return Moves{}, fmt.Errorf("router: moves: run %+v out of order or out of range (%d invokers, %d before)", r, n, prev)
		}
		end = r.At + r.Len
		m.runs = append(m.runs, r)
	}
	return m, nil
}

// MovesFromIndex returns the moves of from, one entry per invoker of the
// snapshot: its index among the prev invokers before, or -1 when new.
func MovesFromIndex(from []int32, prev int) (Moves, error) {
	var runs []Run
	for i, f := range from {
		if f < 0 {
			continue
		}
		if f >= int32(prev) {
			return Moves{}, fmt.Errorf("router: moves: invoker %d from %d of %d", i, f, prev)
		}
		if k := len(runs) - 1; k >= 0 && runs[k].At+runs[k].Len == i && runs[k].From+runs[k].Len == int(f) {
			runs[k].Len++
			continue
		}
		runs = append(runs, Run{At: i, From: int(f), Len: 1})
	}
	return Moves{runs: runs, n: len(from), prev: prev}, nil
}

// Len is the number of invokers of the snapshot.
func (m Moves) Len() int { return m.n }

// PrevLen is the number of invokers of the snapshot before.
func (m Moves) PrevLen() int { return m.prev }

// Runs returns the runs of kept invokers, ascending by At. The caller must
// not modify the slice.
func (m Moves) Runs() []Run { return m.runs }

// From returns the index before of invoker i, -1 when it is new (or out of
// range).
func (m Moves) From(i int) int {
	k := sort.Search(len(m.runs), func(k int) bool { return m.runs[k].At+m.runs[k].Len > i })
	if k < len(m.runs) && m.runs[k].At <= i {
		return m.runs[k].From + i - m.runs[k].At
	}
	return -1
}

// Fresh calls fn with each new invoker's index, ascending.
func (m Moves) Fresh(fn func(i int)) {
	at := 0
	for _, r := range m.runs {
		for ; at < r.At; at++ {
			fn(at)
		}
		at = r.At + r.Len
	}
	for ; at < m.n; at++ {
		fn(at)
	}
}

// FreshCount returns how many invokers are new.
func (m Moves) FreshCount() int {
	kept := 0
	for _, r := range m.runs {
		kept += r.Len
	}
	return m.n - kept
}

// Pool returns a pool over the snapshot's invokers holding the kept
// invokers that prev, a pool over the invokers before, holds; new invokers
// are left out. It copies words, not bits one by one.
func (m Moves) Pool(prev Pool) Pool {
	p := NewPool(m.n)
	for _, r := range m.runs {
		copyBits(p.words, r.At, prev.words, r.From, r.Len)
	}
	return p
}

// copyBits sets dst's bits [at, at+n) to src's [from, from+n); dst's other
// bits are kept.
func copyBits(dst []uint64, at int, src []uint64, from, n int) {
	for n > 0 {
		// Up to the end of dst's word.
		k := min(n, 64-at&63)
		w := src[from>>6] >> uint(from&63)
		if from&63+k > 64 {
			w |= src[from>>6+1] << uint(64-from&63)
		}
		mask := ^uint64(0)
		if k < 64 {
			mask = 1<<uint(k) - 1
		}
		shift := uint(at & 63)
		dst[at>>6] = dst[at>>6]&^(mask<<shift) | (w&mask)<<shift
		at, from, n = at+k, from+k, n-k
	}
}
