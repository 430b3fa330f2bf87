package router

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/fleetrpc/fleet/protocol"
)

// randomMoves is a random edit of prev invokers: runs kept (shifted by the
// removals and additions before them, now and then out of order), the rest
// new; from is the same as one index per invoker.
func randomMoves(rnd *rand.Rand, prev int) ([]int32, []Run) {
	var from []int32
	var runs []Run
	for p := 0; p < prev; {
		switch rnd.IntN(4) {
		case 0: // added
			for range 1 + rnd.IntN(70) {
				from = append(from, -1)
			}
		case 1: // removed
			p += 1 + rnd.IntN(70)
		default: // kept, possibly from elsewhere
			start := p
			if rnd.IntN(10) == 0 {
				start = rnd.IntN(prev)
			}
			n := min(1+rnd.IntN(200), prev-start)
			runs = append(runs, Run{At: len(from), From: start, Len: n})
			for k := range n {
				from = append(from, int32(start+k))
			}
			p += n
		}
	}
	return from, runs
}

// TestMovesPool moves random pools by random edits and requires the moved
// pool, From and Fresh to agree with a bit-by-bit reading of the edit.
func TestMovesPool(t *testing.T) {
	rnd := rand.New(rand.NewPCG(5, 8))
	for step := range 300 {
		prev := rnd.IntN(700)
		from, runs := randomMoves(rnd, prev)
		m, err := NewMoves(len(from), prev, runs)
		require.NoError(t, err, "step %d", step)
		mi, err := MovesFromIndex(from, prev)
		require.NoError(t, err, "step %d", step)
		require.Equal(t, len(from), m.Len())
		require.Equal(t, prev, m.PrevLen())

		old := NewPool(prev)
		for i := range prev {
			if rnd.IntN(3) == 0 {
				old.Add(i)
			}
		}
		want := NewPool(len(from))
		var fresh []int
		for i, f := range from {
			require.Equal(t, int(f), m.From(i), "step %d: From(%d)", step, i)
			require.Equal(t, int(f), mi.From(i), "step %d: From(%d) of the index", step, i)
			if f < 0 {
				fresh = append(fresh, i)
			} else if old.Has(int(f)) {
				want.Add(i)
			}
		}
		require.Equal(t, want, m.Pool(old), "step %d", step)
		require.Equal(t, want, mi.Pool(old), "step %d", step)
		var got []int
		m.Fresh(func(i int) { got = append(got, i) })
		require.Equal(t, fresh, got, "step %d", step)
		require.Equal(t, len(fresh), m.FreshCount(), "step %d", step)
	}
}

func TestNewMovesRefusesBadRuns(t *testing.T) {
	for name, runs := range map[string][]Run{
		"overlapping":       {{At: 0, From: 0, Len: 3}, {At: 2, From: 5, Len: 1}},
		"beyond the new":    {{At: 8, From: 0, Len: 3}},
		"beyond the old":    {{At: 0, From: 9, Len: 2}},
		"negative":          {{At: 0, From: -1, Len: 2}},
		"negative length":   {{At: 0, From: 0, Len: -2}},
		"out of order (At)": {{At: 5, From: 0, Len: 1}, {At: 1, From: 1, Len: 1}},
	} {
		_, err := NewMoves(10, 10, runs)
		require.Error(t, err, name)
	}
	_, err := MovesFromIndex([]int32{0, 10}, 10)
	require.Error(t, err)
	m, err := NewMoves(4, 3, []Run{{At: 1, From: 0, Len: 0}, {At: 1, From: 1, Len: 2}})
	require.NoError(t, err)
	require.Equal(t, []Run{{At: 1, From: 1, Len: 2}}, m.Runs(), "an empty run is dropped")
}

// TestNewReuseRuns: the walk Next does when it is given no moves maps
// invokers only to themselves, lists every other one as new, and finds
// every kept one when the edit keeps the order.
func TestNewReuseRuns(t *testing.T) {
	rnd := rand.New(rand.NewPCG(9, 9))
	all := make([]protocol.Invoker, 600)
	for i := range all {
		all[i] = &countInvoker{}
	}
	for step := range 200 {
		prev := all[:300]
		from, runs := randomMoves(rnd, len(prev))
		ordered := true
		for k := 1; k < len(runs); k++ {
			ordered = ordered && runs[k].From >= runs[k-1].From+runs[k-1].Len
		}
		next := make([]protocol.Invoker, len(from))
		fresh := 300
		used := map[int32]bool{}
		for i, f := range from {
			if f < 0 || used[f] {
				// A new invoker; one kept twice counts once.
				next[i], from[i] = all[fresh], -1
				fresh = 300 + (fresh-299)%300
				continue
			}
			used[f] = true
			next[i] = prev[f]
		}
		r := newReuse(prev, next)
		require.True(t, r.moves.fits(prev, next), "step %d", step)
		var freshAt []protocol.Invoker
		for i, x := range next {
			if f := r.moves.From(i); f >= 0 {
				require.Same(t, x, prev[f], "step %d: invoker %d", step, i)
			} else {
				freshAt = append(freshAt, x)
			}
		}
		require.True(t, slices.Equal(freshAt, r.fresh), "step %d: the new invokers", step)
		if ordered {
			want, err := MovesFromIndex(from, len(prev))
			require.NoError(t, err)
			require.Equal(t, want.Runs(), r.moves.Runs(), "step %d", step)
		}
	}
}

type countInvoker struct {
	protocol.Invoker
	_ int // a non-zero size: each one a distinct pointer
}
