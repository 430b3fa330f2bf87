package servicediscovery

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/fleetrpc/fleet/common"
)

func TestProviderURLs(t *testing.T) {
	const iface = "org.demo.Greeter"
	svc := func(group, version, proto string, port int, params map[string]string) *ServiceInfo {
		return &ServiceInfo{Name: iface, Group: group, Version: version, Protocol: proto, Port: port, Path: iface, Params: params}
	}
	md := func(ss ...*ServiceInfo) *MetadataInfo {
		m := &MetadataInfo{App: "demo", Revision: "r1", Services: map[string]*ServiceInfo{}}
		for _, s := range ss {
			m.Services[s.matchKey()] = s
		}
		m.Services["other"] = &ServiceInfo{Name: "org.demo.Other", Protocol: "dubbo", Port: 1}
		return m
	}
	in := &Instance{ID: "i", App: "demo", Host: "10.0.0.1", Port: 20880, Metadata: map[string]string{
		EndpointsKey: `[{"port":20881,"protocol":"dubbo"}]`,
	}}
	tests := []struct {
		name, sub string
		md        *MetadataInfo
		want      []string
	}{
		{"one service, endpoint port, params kept",
			"consumer://10.0.0.9/" + iface + "?interface=" + iface + "&category=providers,configurators,routers",
			md(svc("", "", "dubbo", 20880, map[string]string{"methods": "sayHello", "timeout": "3000", "application": "demo"})),
			[]string{"dubbo://10.0.0.1:20881/org.demo.Greeter?application=demo&interface=org.demo.Greeter&methods=sayHello&side=provider&timeout=3000"}},
		{"group and version from the service info",
			"consumer://10.0.0.9/" + iface + "?interface=" + iface + "&group=g1&version=1.0",
			md(svc("g1", "1.0", "dubbo", 0, map[string]string{"group": "wrong"}), svc("g2", "1.0", "dubbo", 0, nil)),
			[]string{"dubbo://10.0.0.1:20881/org.demo.Greeter?application=demo&group=g1&interface=org.demo.Greeter&side=provider&version=1.0"}},
		{"another protocol: its own port, filtered by the consumer's protocol",
			"consumer://10.0.0.9/" + iface + "?interface=" + iface + "&protocol=dubbo",
			md(svc("", "", "tri", 50051, nil)),
			nil},
		{"another protocol without a filter: the service's port",
			"consumer://10.0.0.9/" + iface + "?interface=" + iface,
			md(svc("", "", "tri", 50051, nil)),
			[]string{"tri://10.0.0.1:50051/org.demo.Greeter?application=demo&interface=org.demo.Greeter&side=provider"}},
		{"disabled provider dropped",
			"consumer://10.0.0.9/" + iface + "?interface=" + iface,
			md(svc("", "", "dubbo", 0, map[string]string{"enabled": "false"})),
			nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, u := range providerURLs(common.MustParse(tt.sub), in, tt.md) {
				got = append(got, u.String())
			}
			require.Equal(t, tt.want, got)
		})
	}
}

func TestEmptyURL(t *testing.T) {
	sub := common.MustParse("consumer://10.0.0.9/org.demo.Greeter?interface=org.demo.Greeter&category=providers,configurators,routers&group=g")
	require.Equal(t, "empty://10.0.0.9/org.demo.Greeter?category=providers&group=g&interface=org.demo.Greeter", emptyURL(sub).String())
}

func TestToMetadataInfo(t *testing.T) {
	want := &MetadataInfo{App: "demo", Revision: "r", Services: map[string]*ServiceInfo{
		"org.demo.Greeter:dubbo": {Name: "org.demo.Greeter", Protocol: "dubbo", Port: 20880, Params: map[string]string{"timeout": "1"}},
	}}
	got, err := toMetadataInfo(want)
	require.NoError(t, err)
	require.Same(t, want, got)

	// As Hessian decodes an unregistered class: maps.
	decoded := map[any]any{"app": "demo", "revision": "r", "services": map[any]any{
		"org.demo.Greeter:dubbo": map[any]any{"name": "org.demo.Greeter", "protocol": "dubbo", "port": int32(20880),
			"params": map[any]any{"timeout": "1"}},
	}}
	got, err = toMetadataInfo(decoded)
	require.NoError(t, err)
	require.Equal(t, want, got)

	// Another program's struct for the same Java class.
	type foreignService struct {
		Name     string            `json:"name"`
		Protocol string            `json:"protocol"`
		Port     int               `json:"port"`
		Params   map[string]string `json:"params"`
	}
	type foreign struct {
		App      string                     `json:"app"`
		Revision string                     `json:"revision"`
		Services map[string]*foreignService `json:"services"`
	}
	got, err = toMetadataInfo(&foreign{App: "demo", Revision: "r", Services: map[string]*foreignService{
		"org.demo.Greeter:dubbo": {Name: "org.demo.Greeter", Protocol: "dubbo", Port: 20880, Params: map[string]string{"timeout": "1"}},
	}})
	require.NoError(t, err)
	require.Equal(t, want, got)

	_, err = toMetadataInfo(nil)
	require.Error(t, err)
	_, err = toMetadataInfo("a string")
	require.Error(t, err)
}

func TestParseMapping(t *testing.T) {
	require.Equal(t, []string{"a", "b"}, parseMapping(" a, b ,,a,"))
	require.Empty(t, parseMapping(""))
}
