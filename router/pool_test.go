package router

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestPool(t *testing.T) {
	for _, n := range []int{0, 1, 63, 64, 65, 130} {
		p := NewPool(n)
		require.True(t, p.Empty())
		require.Equal(t, n, p.Size())
		f := FullPool(n)
		require.Equal(t, n, f.Count())
		require.True(t, f.full())
		require.False(t, f.Has(n), "out of range")
		require.False(t, f.Has(-1))
		if n == 0 {
			continue
		}
		p.Add(0)
		p.Add(n - 1)
		require.True(t, p.Has(0))
		require.True(t, p.Has(n-1))
		require.Equal(t, min(n, 2), p.Count())
		var seen []int
		p.each(func(i int) { seen = append(seen, i) })
		if n == 1 {
			require.Equal(t, []int{0}, seen)
		} else {
			require.Equal(t, []int{0, n - 1}, seen)
		}
		f.and(p)
		require.Equal(t, p.Count(), f.Count())
		require.Panics(t, func() { p.Add(n) })
	}
}
