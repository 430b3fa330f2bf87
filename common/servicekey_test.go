package common

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestServiceKeys(t *testing.T) {
	tests := []struct {
		name                                       string
		url                                        string
		iface, group, version, category            string
		serviceKey, pathKey, colonKey, protocolKey string
		exportKey                                  string
	}{
		{
			name:  "spec example",
			url:   "dubbo://10.0.0.1:20880/org.a.Svc?interface=org.a.Svc&group=g1&version=1.0.0",
			iface: "org.a.Svc", group: "g1", version: "1.0.0", category: "providers",
			serviceKey: "g1/org.a.Svc:1.0.0", pathKey: "g1/org.a.Svc:1.0.0", colonKey: "org.a.Svc:1.0.0:g1",
			protocolKey: "g1/org.a.Svc:1.0.0:dubbo", exportKey: "g1/org.a.Svc:1.0.0:20880",
		},
		{
			name:  "no group, no version",
			url:   "dubbo://10.0.0.1:20880/org.a.Svc?interface=org.a.Svc",
			iface: "org.a.Svc", category: "providers",
			serviceKey: "org.a.Svc", pathKey: "org.a.Svc", colonKey: "org.a.Svc::",
			protocolKey: "org.a.Svc:dubbo", exportKey: "org.a.Svc:20880",
		},
		{
			name:  "version without group",
			url:   "dubbo://10.0.0.1:20880/org.a.Svc?version=1.0.0",
			iface: "org.a.Svc", version: "1.0.0", category: "providers",
			serviceKey: "org.a.Svc:1.0.0", pathKey: "org.a.Svc:1.0.0", colonKey: "org.a.Svc:1.0.0:",
			protocolKey: "org.a.Svc:1.0.0:dubbo", exportKey: "org.a.Svc:1.0.0:20880",
		},
		{
			name:  "group without version",
			url:   "dubbo://10.0.0.1:20880/org.a.Svc?group=g",
			iface: "org.a.Svc", group: "g", category: "providers",
			serviceKey: "g/org.a.Svc", pathKey: "g/org.a.Svc", colonKey: "org.a.Svc::g",
			protocolKey: "g/org.a.Svc:dubbo", exportKey: "g/org.a.Svc:20880",
		},
		{
			name:  "interface param wins over the path; path key uses the path",
			url:   "consumer://10.0.0.1/context/svc?interface=org.a.Svc&version=1.0.0&category=consumers",
			iface: "org.a.Svc", version: "1.0.0", category: "consumers",
			serviceKey: "org.a.Svc:1.0.0", pathKey: "context/svc:1.0.0", colonKey: "org.a.Svc:1.0.0:",
			protocolKey: "org.a.Svc:1.0.0:consumer", exportKey: "context/svc:1.0.0:0",
		},
		{
			name:  "interface param without path",
			url:   "override://0.0.0.0?interface=org.a.Svc&category=configurators",
			iface: "org.a.Svc", category: "configurators",
			serviceKey: "org.a.Svc", pathKey: "org.a.Svc", colonKey: "org.a.Svc::",
			protocolKey: "org.a.Svc:override", exportKey: ":0",
		},
		{
			name:  "neither interface nor path",
			url:   "dubbo://10.0.0.1:20880?group=g&version=1",
			group: "g", version: "1", category: "providers",
			serviceKey: "", pathKey: "", colonKey: ":1:g",
			protocolKey: ":dubbo", exportKey: "g/:1:20880",
		},
		{
			name:  "export key drops version 0.0.0",
			url:   "dubbo://10.0.0.1:20880/org.a.Svc?version=0.0.0",
			iface: "org.a.Svc", version: "0.0.0", category: "providers",
			serviceKey: "org.a.Svc:0.0.0", pathKey: "org.a.Svc:0.0.0", colonKey: "org.a.Svc:0.0.0:",
			protocolKey: "org.a.Svc:0.0.0:dubbo", exportKey: "org.a.Svc:20880",
		},
		{
			name:  "export key drops version *",
			url:   "dubbo://10.0.0.1:20880/org.a.Svc?version=*&group=*",
			iface: "org.a.Svc", group: "*", version: "*", category: "providers",
			serviceKey: "*/org.a.Svc:*", pathKey: "*/org.a.Svc:*", colonKey: "org.a.Svc:*:*",
			protocolKey: "*/org.a.Svc:*:dubbo", exportKey: "*/org.a.Svc:20880",
		},
		{
			name:  "empty category is providers",
			url:   "dubbo://h/org.a.Svc?category=",
			iface: "org.a.Svc", category: "providers",
			serviceKey: "org.a.Svc", pathKey: "org.a.Svc", colonKey: "org.a.Svc::",
			protocolKey: "org.a.Svc:dubbo", exportKey: "org.a.Svc:0",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := MustParse(tt.url)
			require.Equal(t, tt.iface, u.ServiceInterface(), "ServiceInterface")
			require.Equal(t, tt.group, u.Group(), "Group")
			require.Equal(t, tt.version, u.Version(), "Version")
			require.Equal(t, tt.category, u.Category(), "Category")
			require.Equal(t, tt.serviceKey, u.ServiceKey(), "ServiceKey")
			require.Equal(t, tt.pathKey, u.PathKey(), "PathKey")
			require.Equal(t, tt.colonKey, u.ColonKey(), "ColonKey")
			require.Equal(t, tt.protocolKey, u.ProtocolServiceKey(), "ProtocolServiceKey")
			require.Equal(t, tt.exportKey, u.ExportKey(), "ExportKey")
		})
	}
}

func TestServiceKeyFunc(t *testing.T) {
	tests := []struct{ iface, group, version, want string }{
		{"org.a.Svc", "g1", "1.0.0", "g1/org.a.Svc:1.0.0"},
		{"org.a.Svc", "", "1.0.0", "org.a.Svc:1.0.0"}, // unlike StringUtils.getServiceKey(map)
		{"org.a.Svc", "g1", "", "g1/org.a.Svc"},
		{"org.a.Svc", "", "", "org.a.Svc"},
		{"", "g1", "1.0.0", ""},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			require.Equal(t, tt.want, ServiceKey(tt.iface, tt.group, tt.version))
		})
	}
}

func TestServiceKeysOfZooKeeperCapture(t *testing.T) {
	want := map[string]string{
		"dubbo://127.0.0.1:20880/org.apache.dubbo.demo.DemoService":   "org.apache.dubbo.demo.DemoService",
		"dubbo://127.0.0.1:20880/org.apache.dubbo.sample.UserService": "org.apache.dubbo.sample.UserService",
		"consumer://127.0.0.1/org.apache.dubbo.sample.UserService":    "org.apache.dubbo.sample.UserService",
	}
	for _, c := range loadZKCaptures(t) {
		grouped := c.params[0][GroupKey] != ""
		for _, s := range c.decoded {
			u := MustParse(s)
			key := want[u.IdentityString()]
			require.NotEmpty(t, key, s)
			if grouped {
				key = "g1/" + key + ":1.0.0"
			}
			require.Equal(t, key, u.ServiceKey())
		}
	}
}
