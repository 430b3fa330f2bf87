package nacos

import (
	"testing"

	"github.com/nacos-group/nacos-sdk-go/v2/model"
	"github.com/stretchr/testify/require"

	"github.com/fleetrpc/fleet/common"
)

func TestToInstance(t *testing.T) {
	u := common.MustParse("dubbo://10.0.0.1:20880/com.foo.Bar?interface=com.foo.Bar&version=1.0.0&weight=250&side=provider")
	inst := toInstance(u)
	require.Equal(t, "10.0.0.1", inst.Ip)
	require.Equal(t, uint64(20880), inst.Port)
	require.Equal(t, 250.0, inst.Weight)
	require.True(t, inst.Ephemeral && inst.Enable && inst.Healthy)
	require.Equal(t, map[string]string{
		"interface": "com.foo.Bar", "version": "1.0.0", "weight": "250", "side": "provider",
		"category": "providers", "protocol": "dubbo", "path": "com.foo.Bar",
	}, inst.Metadata)
	require.Equal(t, "providers:com.foo.Bar:1.0.0:", serviceName(u.Category(), u))

	for w, want := range map[string]float64{"": 1, "x": 1, "-3": 0, "99999": maxWeight, "NaN": 1} {
		v := u.WithParam("weight", w)
		if w == "" {
			v = u.WithoutParams("weight")
		}
		require.Equal(t, want, toInstance(v).Weight, w)
	}
	c := common.MustParse("consumer://10.0.0.5/com.foo.Bar?interface=com.foo.Bar&category=consumers&side=consumer")
	require.Equal(t, "consumers:com.foo.Bar::", serviceName(c.Category(), c))
	require.Equal(t, uint64(0), toInstance(c).Port)
}

func TestToURL(t *testing.T) {
	md := func(kv ...string) map[string]string {
		m := map[string]string{}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	tests := []struct {
		name string
		inst model.Instance
		want string // FullString; "" when dropped
	}{
		{"java", model.Instance{Ip: "10.0.0.1", Port: 20880, Enable: true, Healthy: true,
			Metadata: md("category", "providers", "protocol", "dubbo", "path", "com.foo.Bar", "interface", "com.foo.Bar", "side", "provider")},
			"dubbo://10.0.0.1:20880/com.foo.Bar?category=providers&interface=com.foo.Bar&path=com.foo.Bar&protocol=dubbo&side=provider"},
		{"dubbo-go", model.Instance{Ip: "10.0.0.2", Port: 20000, Enable: true, Healthy: true,
			Metadata: md("nacos.category", "providers", "protocol", "tri", "path", "/com.foo.Bar", "interface", "com.foo.Bar", "group", "", "version", "")},
			"tri://10.0.0.2:20000/com.foo.Bar?category=providers&interface=com.foo.Bar&nacos.category=providers&path=/com.foo.Bar&protocol=tri"},
		{"polaris keys, no protocol, no path", model.Instance{Ip: "10.0.0.3", Port: 1, Enable: true, Healthy: true,
			Metadata: md("interface", "com.foo.Bar", "internal-nacos-service", "x", "internal-nacos-cluster", "DEFAULT")},
			"dubbo://10.0.0.3:1/com.foo.Bar?category=providers&interface=com.foo.Bar"},
		{"disabled", model.Instance{Ip: "10.0.0.4", Port: 1, Enable: false, Healthy: true, Metadata: md("interface", "com.foo.Bar")}, ""},
		{"unhealthy", model.Instance{Ip: "10.0.0.5", Port: 1, Enable: true, Healthy: false, Metadata: md("interface", "com.foo.Bar")}, ""},
		{"no ip", model.Instance{Port: 1, Enable: true, Healthy: true}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, ok := toURL(&tt.inst, "providers")
			if tt.want == "" {
				require.False(t, ok)
				return
			}
			require.True(t, ok)
			require.Equal(t, tt.want, u.FullString())
		})
	}
}

func TestInstanceCacheReusesAndMatches(t *testing.T) {
	sub := common.MustParse("consumer://1.1.1.1/com.foo.Bar?interface=com.foo.Bar&version=1.0.0")
	mk := func(port uint64, version string) model.Instance {
		return model.Instance{Ip: "10.0.0.1", Port: port, Enable: true, Healthy: true,
			Metadata: map[string]string{"interface": "com.foo.Bar", "version": version, "protocol": "dubbo", "path": "com.foo.Bar"}}
	}
	var c instanceCache
	first := c.urls([]model.Instance{mk(1, "1.0.0"), mk(2, "2.0.0")}, "providers", sub)
	require.Len(t, first, 1)
	second := c.urls([]model.Instance{mk(1, "1.0.0"), mk(3, "1.0.0")}, "providers", sub)
	require.Len(t, second, 2)
	require.Same(t, first[0].u, second[0].u, "an unchanged instance keeps its URL")
	third := c.urls([]model.Instance{mk(1, "2.0.0")}, "providers", sub)
	require.Empty(t, third, "a changed instance is matched again")
}
