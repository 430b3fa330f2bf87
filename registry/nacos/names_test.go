package nacos

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/fleetrpc/fleet/common"
)

func TestNames(t *testing.T) {
	u := common.MustParse("consumer://1.1.1.1/com.foo.Bar?interface=com.foo.Bar&version=1.0.0&group=g")
	require.Equal(t, "providers:com.foo.Bar:1.0.0:g", serviceName("providers", u))
	require.Equal(t, "providers:com.foo.Bar:1.0.0:g", legacyName(u))
	require.Equal(t, "providers:com.foo.Bar", legacyName(u.WithoutParams("version", "group")))
	require.True(t, isConcrete(u))
	require.False(t, isConcrete(u.WithParam("group", "*")))
	require.False(t, isConcrete(u.WithParam("version", "1,2")))
	require.False(t, isConcrete(u.WithParam("interface", "*")))

	n, ok := parseName("providers:com.foo.Bar::")
	require.True(t, ok)
	require.Equal(t, name{category: "providers", iface: "com.foo.Bar"}, n)
	for _, bad := range []string{"providers:com.foo.Bar", "app-name", "providers:a:b:c:d", ":x::"} {
		_, ok := parseName(bad)
		require.False(t, ok, bad)
	}
}

func TestCompatible(t *testing.T) {
	base := "consumer://1.1.1.1/com.foo.Bar?interface=com.foo.Bar"
	tests := []struct {
		params, service string
		want            bool
	}{
		{"group=*", "providers:com.foo.Bar::a", true},
		{"group=*", "providers:com.foo.Bar:1.0:", false}, // version must be equal
		{"group=a,b", "providers:com.foo.Bar::b", true},
		{"group=a,b", "providers:com.foo.Bar::c", false},
		{"group=*&version=*", "providers:com.foo.Bar:2.0:x", true},
		{"group=*", "consumers:com.foo.Bar::a", false},
		{"group=*", "providers:com.foo.Other::a", false},
		{"interface=*&version=*&group=*&category=*", "routers:com.foo.Other::", true},
	}
	for _, tt := range tests {
		u := common.MustParse(base + "&" + tt.params)
		n, ok := parseName(tt.service)
		require.True(t, ok)
		require.Equal(t, tt.want, compatible(u, subscribedCategories(u), n), "%s %s", tt.params, tt.service)
	}
}

func TestWatchedCategories(t *testing.T) {
	u := common.MustParse("consumer://1.1.1.1/com.foo.Bar?interface=com.foo.Bar&category=providers,configurators,routers")
	require.Equal(t, []string{"providers"}, watchedCategories(u))
	require.Equal(t, []string{"providers", "consumers"}, watchedCategories(u.WithParam("category", "providers,consumers")))
	any := u.WithParam("interface", "*").WithParam("category", "*")
	require.Equal(t, []string{"providers", "consumers", "routers", "configurators"}, watchedCategories(any))
}
