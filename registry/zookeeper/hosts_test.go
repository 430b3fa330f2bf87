package zookeeper

import (
	"testing"

	"github.com/go-zookeeper/zk"
	"github.com/stretchr/testify/require"
)

var _ zk.HostProvider = (*hostRing)(nil)

func TestHostRing(t *testing.T) {
	h := &hostRing{}
	require.NoError(t, h.Init([]string{"a:1", "b:2", "c:3"}))
	require.Equal(t, 3, h.Len())
	type step struct {
		server  string
		wrapped bool
	}
	var got []step
	for i := 0; i < 4; i++ {
		s, w := h.Next()
		got = append(got, step{s, w})
	}
	require.Equal(t, []step{{"a:1", false}, {"b:2", false}, {"c:3", false}, {"a:1", true}}, got,
		"a full turn without a connection says so")
	h.Connected() // to a:1
	s, w := h.Next()
	require.Equal(t, step{"b:2", false}, step{s, w})
	h.Connected() // to b:2
	for _, want := range []step{{"c:3", false}, {"a:1", false}, {"b:2", true}} {
		s, w := h.Next()
		require.Equal(t, want, step{s, w})
	}
}

func TestLayout(t *testing.T) {
	tests := []struct {
		group, root, category string
	}{
		{"", "/", "/org.A/providers"},
		{"/", "/", "/org.A/providers"},
		{"dubbo", "/dubbo", "/dubbo/org.A/providers"},
		{"/dubbo", "/dubbo", "/dubbo/org.A/providers"},
		{"x/", "/x", "/x/org.A/providers"},
	}
	for _, tt := range tests {
		l := newLayout(tt.group)
		require.Equal(t, tt.root, l.root, tt.group)
		require.Equal(t, tt.category, l.categoryPath("org.A", "providers"), tt.group)
		iface, cat, ok := l.parseCategoryPath(tt.category)
		require.True(t, ok)
		require.Equal(t, "org.A", iface)
		require.Equal(t, "providers", cat)
	}
	_, _, ok := newLayout("dubbo").parseCategoryPath("/dubbo/org.A/providers/x")
	require.False(t, ok)
	require.Equal(t, []string{"/a", "/a/b"}, parents("/a/b/c"))
}
