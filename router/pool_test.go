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

func TestPoolBuilding(t *testing.T) {
	for _, n := range []int{0, 1, 64, 130} {
		p, q := NewPool(n), NewPool(n)
		require.Equal(t, -1, p.First())
		for i := 0; i < n; i += 3 {
			p.Add(i)
		}
		for i := 0; i < n; i += 2 {
			q.Add(i)
		}
		c := p.Clone()
		c.Or(q)
		for i := range n {
			require.Equal(t, i%3 == 0 || i%2 == 0, c.Has(i), "n %d: or %d", n, i)
			require.Equal(t, i%3 == 0, p.Has(i), "n %d: the clone's source is unchanged", n)
		}
		c.AndNot(q)
		for i := range n {
			require.Equal(t, i%3 == 0 && i%2 != 0, c.Has(i), "n %d: and not %d", n, i)
		}
		if n > 3 {
			require.Equal(t, 0, p.First())
			require.Equal(t, 3, c.First(), "n %d", n)
		}
		if n > 64 {
			r := NewPool(n)
			r.Add(n - 1)
			require.Equal(t, n-1, r.First())
		}
	}
}
