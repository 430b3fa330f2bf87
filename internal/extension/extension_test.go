package extension

import (
	"testing"

	"github.com/stretchr/testify/require"
)

type thing interface{ Name() string }

type named string

func (n named) Name() string { return string(n) }

func TestTable(t *testing.T) {
	tab := New[thing]("pkg", "thing")
	tab.Register("b", named("b"))
	tab.Register("a", named("a"))
	v, err := tab.Get("a")
	require.NoError(t, err)
	require.Equal(t, "a", v.Name())
	require.Equal(t, []string{"a", "b"}, tab.Names())
	_, err = tab.Get("c")
	require.EqualError(t, err, `pkg: unknown thing "c" (forgotten import?)`)
	require.PanicsWithValue(t, "pkg: Register called twice for thing a", func() { tab.Register("a", named("x")) })
	require.PanicsWithValue(t, "pkg: Register thing is nil", func() { tab.Register("n", nil) })

	funcs := New[func() int]("pkg", "factory")
	require.PanicsWithValue(t, "pkg: Register factory is nil", func() { funcs.Register("f", nil) })
	funcs.Register("f", func() int { return 7 })
	f, err := funcs.Get("f")
	require.NoError(t, err)
	require.Equal(t, 7, f())
}
