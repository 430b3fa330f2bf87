package servicediscovery

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/fleetrpc/fleet/common"
)

// Revisions as Java's MetadataInfo.calAndGetRevision computes them.
func TestRevision(t *testing.T) {
	bar := &ServiceInfo{Name: "com.foo.Bar", Version: "1.0.0", Protocol: "dubbo", Port: 20880, Path: "com.foo.Bar",
		Params: map[string]string{"weight": "100", "timeout": "3000"}}
	baz := &ServiceInfo{Name: "com.foo.Baz", Group: "g1", Version: "2.0.0", Protocol: "tri", Port: 50051, Path: "com.foo.Baz",
		Params: map[string]string{"cluster": "failfast"}}
	for _, tc := range []struct {
		name     string
		app      string
		services []*ServiceInfo
		want     string
	}{
		{name: "no services", app: "a", want: "0"},
		// The Java-derived vector of dubbo-go's MetadataInfo tests
		// (TestCalRevisionJavaAlignmentGolden): md5 of
		// "dubbo-go-app" + "com.foo.Bar:1.0.0:dubbo20880com.foo.Bar{timeout=3000, weight=100}"
		// + "g1/com.foo.Baz:2.0.0:tri50051com.foo.Baz{cluster=failfast}".
		{name: "two services", app: "dubbo-go-app", services: []*ServiceInfo{baz, bar}, want: "8ab6351c86cccf642be0a2cda8be847a"},
		// md5 of "appcom.foo.Bar:1.0.0:dubbo20880com.foo.Bar{timeout=3000, weight=100}".
		{name: "one service", app: "app", services: []*ServiceInfo{bar}, want: "f8c2a09462e76e3182f89437e37e5433"},
		// md5 of "appx0x{}": no group, version or protocol, no params.
		{name: "bare service", app: "app", services: []*ServiceInfo{{Name: "x", Path: "x"}}, want: "047d096a6c733e18cd30e30f820774a5"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			services := map[string]*ServiceInfo{}
			for _, s := range tc.services {
				services[s.matchKey()] = s
			}
			require.Equal(t, tc.want, Revision(tc.app, services))
		})
	}
}

// The desc string is Java's toDescString, params as a TreeMap prints.
func TestServiceInfoDesc(t *testing.T) {
	for _, tc := range []struct {
		si   *ServiceInfo
		want string
	}{
		{&ServiceInfo{Name: "com.foo.Bar", Version: "1.0.0", Protocol: "dubbo", Port: 20880, Path: "com.foo.Bar",
			Params: map[string]string{"weight": "100", "timeout": "3000"}}, "com.foo.Bar:1.0.0:dubbo20880com.foo.Bar{timeout=3000, weight=100}"},
		{&ServiceInfo{Name: "a.B", Group: "g", Port: 1, Path: "p"}, "g/a.B1p{}"},
	} {
		require.Equal(t, tc.want, string(tc.si.appendDesc(nil)))
		require.Equal(t, tc.si.matchKey(), string(tc.si.appendDesc(nil))[:len(tc.si.matchKey())])
	}
}

// A provider URL becomes the ServiceInfo Java's addService makes: its
// parts, and its params less the local and per-process ones.
func TestNewServiceInfo(t *testing.T) {
	u := common.MustParse("dubbo://10.0.0.1:20880/com.foo.Bar?interface=com.foo.Bar&group=g&version=1.0.0&application=app" +
		"&methods=sayHello&side=provider&pid=42&timestamp=1700000000000&sayHello.timestamp=1&bind.ip=0.0.0.0&bind.port=20880" +
		"&qos.port=22222&heartbeat.timeout=9&ipv6=::1&timeout=3000&sayHello.timeout=500&anyhost=true&Monitor=x")
	si := newServiceInfo(u)
	require.Equal(t, &ServiceInfo{
		Name: "com.foo.Bar", Group: "g", Version: "1.0.0", Protocol: "dubbo", Port: 20880, Path: "com.foo.Bar",
		Params: map[string]string{
			"interface": "com.foo.Bar", "group": "g", "version": "1.0.0", "application": "app", "methods": "sayHello",
			"side": "provider", "timeout": "3000", "sayHello.timeout": "500", "anyhost": "true",
		},
	}, si)
	require.Equal(t, "g/com.foo.Bar:1.0.0:dubbo", si.matchKey())
}

// An IPv6 provider: the node is named and addressed as Curator's are
// ([::1]:20880, ::1), the brackets of the URL's host dropped.
func TestInstanceDocIPv6(t *testing.T) {
	u := common.MustParse("dubbo://[::1]:20880/a.B?interface=a.B&application=app")
	a := &appInstance{app: "app", host: u.Host(), port: u.Port(), path: "/services/app/" + "[::1]:20880", regTime: 1700000000000}
	info := metadataOf("app", []*common.URL{u})
	var doc struct {
		ID      string `json:"id"`
		Address string `json:"address"`
		Port    int    `json:"port"`
	}
	require.NoError(t, json.Unmarshal(instanceDoc(a, []*common.URL{u}, info), &doc))
	require.Equal(t, "[::1]:20880", doc.ID)
	require.Equal(t, "::1", doc.Address)
	require.Equal(t, 20880, doc.Port)
	require.Equal(t, "::1", bareHost("[::1]"))
	require.Equal(t, "10.0.0.1", bareHost("10.0.0.1"))
}
