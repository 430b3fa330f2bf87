package common

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestIsMatchGlobPattern(t *testing.T) {
	param := MustParse("dubbo://10.0.0.1:20880/org.a.Svc?app=demo")
	tests := []struct {
		pattern, value string
		param          *URL
		want           bool
	}{
		{"*", "value", nil, true},
		{"*", "", nil, true},
		{"", "", nil, true},
		{"", "value", nil, false},
		{"value", "", nil, false},
		{"v*", "", nil, false},
		{"value", "value", nil, true},
		{"value", "values", nil, false},
		{"v*", "value", nil, true},
		{"*e", "value", nil, true},
		{"v*e", "value", nil, true},
		{"va*ue", "value", nil, true},
		{"v*x", "value", nil, false},
		{"*x", "value", nil, false},
		{"x*", "value", nil, false},
		{"a*b*c", "a*bxc", nil, true}, // only the last * is special
		{"a*b*c", "abxc", nil, false},
		{"ab*ba", "aba", nil, true}, // prefix and suffix may overlap, as in Java
		{"$host", "10.0.0.1", param, true},
		{"$host", "10.0.0.2", param, false},
		{"$app", "demo", param, true},
		{"$port", "20880", param, true},
		{"$absent", "", param, true},
		{"$absent", "x", param, false},
		{"$host", "$host", nil, true},
		{"$host", "10.0.0.1", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.pattern+"~"+tt.value, func(t *testing.T) {
			require.Equal(t, tt.want, IsMatchGlobPattern(tt.pattern, tt.value, tt.param))
		})
	}
}

func TestIsItemMatch(t *testing.T) {
	tests := []struct {
		pattern, value string
		want           bool
	}{
		{"", "", true},
		{"", "x", false},
		{"*", "", true},
		{"*", "x", true},
		{"x", "x", true},
		{"x", "y", false},
		{"x", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.pattern+"~"+tt.value, func(t *testing.T) {
			require.Equal(t, tt.want, IsItemMatch(tt.pattern, tt.value))
		})
	}
}

func TestIsMatchCategory(t *testing.T) {
	tests := []struct {
		category, categories string
		want                 bool
	}{
		{"providers", "", true},
		{"consumers", "", false},
		{"routers", "*", true},
		{"routers", "providers,*", true},
		{"routers", "-providers", true},
		{"providers", "-providers", false},
		{"providers", "-consumers,-providers", false},
		{"providers", "providers,configurators,routers", true},
		{"routers", "providers,configurators,routers", true},
		{"consumers", "providers,configurators,routers", false},
		{"provider", "providers", true}, // a substring test, as Java's
	}
	for _, tt := range tests {
		t.Run(tt.category+"~"+tt.categories, func(t *testing.T) {
			require.Equal(t, tt.want, IsMatchCategory(tt.category, tt.categories))
		})
	}
}

func TestIsMatch(t *testing.T) {
	const svc = "dubbo://10.0.0.1:20880/org.a.Svc"
	tests := []struct {
		name               string
		consumer, provider string
		want               bool
	}{
		{"same interface", "consumer://10.0.0.2/org.a.Svc", svc, true},
		{"interface param", "consumer://10.0.0.2/x?interface=org.a.Svc", svc + "?interface=org.a.Svc", true},
		{"other interface", "consumer://10.0.0.2/org.b.Svc", svc, false},
		{"consumer any interface", "consumer://10.0.0.2/*", svc, true},
		{"provider any interface", "consumer://10.0.0.2/org.a.Svc", "override://0.0.0.0/*?category=configurators", false},
		{"provider any interface, category subscribed", "consumer://10.0.0.2/org.a.Svc?category=configurators", "override://0.0.0.0/*?category=configurators", true},

		{"categories subscribed", "consumer://10.0.0.2/org.a.Svc?category=providers,configurators,routers", "route://0.0.0.0/org.a.Svc?category=routers", true},
		{"category not subscribed", "consumer://10.0.0.2/org.a.Svc", "route://0.0.0.0/org.a.Svc?category=routers", false},
		{"empty provider category is providers", "consumer://10.0.0.2/org.a.Svc?category=providers", svc + "?category=", true},
		{"any category", "consumer://10.0.0.2/org.a.Svc?category=*", "route://0.0.0.0/org.a.Svc?category=routers", true},

		{"disabled provider", "consumer://10.0.0.2/org.a.Svc", svc + "?enabled=false", false},
		{"disabled provider, consumer enabled=*", "consumer://10.0.0.2/org.a.Svc?enabled=*", svc + "?enabled=false", true},
		{"provider enabled=true", "consumer://10.0.0.2/org.a.Svc", svc + "?enabled=true", true},

		{"same group", "consumer://10.0.0.2/org.a.Svc?group=g1", svc + "?group=g1", true},
		{"other group", "consumer://10.0.0.2/org.a.Svc?group=g2", svc + "?group=g1", false},
		{"any group", "consumer://10.0.0.2/org.a.Svc?group=*", svc + "?group=g1", true},
		{"group list", "consumer://10.0.0.2/org.a.Svc?group=g1, g2", svc + "?group=g2", true},
		{"group list without it", "consumer://10.0.0.2/org.a.Svc?group=g1,g2", svc + "?group=g3", false},
		{"group list and no provider group", "consumer://10.0.0.2/org.a.Svc?group=g1,g2", svc, false},
		{"consumer without group, provider with", "consumer://10.0.0.2/org.a.Svc", svc + "?group=g1", false},
		{"consumer with group, provider without", "consumer://10.0.0.2/org.a.Svc?group=g1", svc, false},

		{"same version", "consumer://10.0.0.2/org.a.Svc?version=1.0.0", svc + "?version=1.0.0", true},
		{"other version", "consumer://10.0.0.2/org.a.Svc?version=1.0.0", svc + "?version=2.0.0", false},
		{"any version", "consumer://10.0.0.2/org.a.Svc?version=*", svc + "?version=2.0.0", true},
		{"consumer without version, provider with", "consumer://10.0.0.2/org.a.Svc", svc + "?version=1.0.0", false},
		{"consumer with version, provider without", "consumer://10.0.0.2/org.a.Svc?version=1.0.0", svc, false},
		{"version is not a list", "consumer://10.0.0.2/org.a.Svc?version=1.0.0,2.0.0", svc + "?version=2.0.0", false},

		{"consumer without group and version, provider with both", "consumer://10.0.0.2/org.a.Svc", svc + "?group=g1&version=1.0.0", false},
		{"group and version both match", "consumer://10.0.0.2/org.a.Svc?group=g1&version=1.0.0", svc + "?group=g1&version=1.0.0", true},

		{"no classifier", "consumer://10.0.0.2/org.a.Svc", svc + "?classifier=c1", true},
		{"any classifier", "consumer://10.0.0.2/org.a.Svc?classifier=*", svc + "?classifier=c1", true},
		{"same classifier", "consumer://10.0.0.2/org.a.Svc?classifier=c1", svc + "?classifier=c1", true},
		{"other classifier", "consumer://10.0.0.2/org.a.Svc?classifier=c1", svc + "?classifier=c2", false},
		{"classifier, provider without", "consumer://10.0.0.2/org.a.Svc?classifier=c1", svc, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, IsMatch(MustParse(tt.consumer), MustParse(tt.provider)))
		})
	}
}

func TestIsMatchZooKeeperCapture(t *testing.T) {
	caps := loadZKCaptures(t)
	require.Len(t, caps, 2)
	byFile := map[bool][2]*URL{} // grouped → consumer subscription, UserService provider
	for _, c := range caps {
		var consumer, provider *URL
		for _, s := range c.decoded {
			u := MustParse(s)
			switch {
			case u.Protocol() == ConsumerProtocol:
				// A subscription asks for these categories.
				consumer = u.WithParam(CategoryKey, "providers,configurators,routers")
			case u.ServiceInterface() == "org.apache.dubbo.sample.UserService":
				provider = u
			}
		}
		require.NotNil(t, consumer)
		require.NotNil(t, provider)
		require.True(t, IsMatch(consumer, provider), c.file)
		byFile[consumer.Group() != ""] = [2]*URL{consumer, provider}
	}
	plain, grouped := byFile[false], byFile[true]
	require.False(t, IsMatch(plain[0], grouped[1]), "a consumer without group/version does not see a provider with them")
	require.False(t, IsMatch(grouped[0], plain[1]), "a consumer with group/version does not see a provider without them")
}
