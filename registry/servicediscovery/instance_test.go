package servicediscovery

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestParseInstance(t *testing.T) {
	java := `{"name":"demo","id":"10.0.0.1:20880","address":"10.0.0.1","port":20880,"sslPort":null,` +
		`"payload":{"@class":"org.apache.dubbo.registry.zookeeper.ZookeeperInstance","id":"10.0.0.1:20880","name":"demo",` +
		`"metadata":{"dubbo.metadata.revision":"abc","dubbo.metadata.storage-type":"remote"}},` +
		`"registrationTimeUTC":1700000000000,"serviceType":"DYNAMIC","uriSpec":null}`
	tests := []struct {
		name, data string
		want       *Instance
		err        string
	}{
		{"java curator document", java, &Instance{ID: "10.0.0.1:20880", App: "demo", Host: "10.0.0.1", Port: 20880,
			Metadata: map[string]string{RevisionKey: "abc", StorageTypeKey: "remote"}}, ""},
		{"no id, no payload", `{"name":"demo","address":"::1","port":1}`,
			&Instance{ID: "[::1]:1", App: "demo", Host: "::1", Port: 1, Metadata: map[string]string{}}, ""},
		{"not json", `10.0.0.1`, nil, "instance JSON"},
		{"no address", `{"name":"demo","port":1}`, nil, "no address"},
		{"no port", `{"name":"demo","address":"h"}`, nil, "no valid port"},
		{"port out of range", `{"name":"demo","address":"h","port":70000}`, nil, "no valid port"},
		{"other application", `{"name":"other","address":"h","port":1}`, nil, `application "other" filed under "demo"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseInstance("demo", []byte(tt.data))
			if tt.err != "" {
				require.ErrorContains(t, err, tt.err)
				require.Nil(t, got)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
}

func TestInstanceMetadata(t *testing.T) {
	in := &Instance{ID: "i", App: "demo", Host: "10.0.0.1", Port: 20880, Metadata: map[string]string{
		EndpointsKey: `[{"port":20881,"protocol":"dubbo"},{"port":50051,"protocol":"tri"}]`,
	}}
	require.Equal(t, 20881, in.EndpointPort("dubbo"))
	require.Equal(t, 50051, in.EndpointPort("tri"))
	require.Equal(t, 0, in.EndpointPort("rest"))
	require.Equal(t, StorageLocal, in.StorageType())
	require.Equal(t, "", in.Revision())
	in.Metadata[EndpointsKey] = "garbage"
	require.Equal(t, 0, in.EndpointPort("dubbo"))
}

func TestMetadataServiceURL(t *testing.T) {
	tests := []struct {
		name, params, endpoints string
		want, err               string
	}{
		{"flat (dubbo 3.2, dubbo-go)", `{"protocol":"dubbo","port":"20881","version":"1.0.0","timeout":"5000","release":"3.3.0"}`, "",
			"dubbo://10.0.0.1:20881/org.apache.dubbo.metadata.MetadataService?group=demo&interface=org.apache.dubbo.metadata.MetadataService&release=3.3.0&timeout=5000&version=1.0.0", ""},
		{"keyed by protocol (dubbo 3.0)", `{"dubbo":{"port":"20882","version":"1.0.0","dubbo":"2.0.2"}}`, "",
			"dubbo://10.0.0.1:20882/org.apache.dubbo.metadata.MetadataService?dubbo=2.0.2&group=demo&interface=org.apache.dubbo.metadata.MetadataService&version=1.0.0", ""},
		{"numeric port", `{"protocol":"dubbo","port":20883}`, "",
			"dubbo://10.0.0.1:20883/org.apache.dubbo.metadata.MetadataService?group=demo&interface=org.apache.dubbo.metadata.MetadataService&version=1.0.0", ""},
		{"no params: the dubbo endpoint", "", `[{"port":20884,"protocol":"dubbo"}]`,
			"dubbo://10.0.0.1:20884/org.apache.dubbo.metadata.MetadataService?group=demo&interface=org.apache.dubbo.metadata.MetadataService&version=1.0.0", ""},
		{"no params, no endpoints: the instance port", "", "",
			"dubbo://10.0.0.1:20880/org.apache.dubbo.metadata.MetadataService?group=demo&interface=org.apache.dubbo.metadata.MetadataService&version=1.0.0", ""},
		{"bad json", `{`, "", "", "url-params"},
		{"bad port", `{"protocol":"dubbo","port":"x"}`, "", "", `metadata service port "x"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := &Instance{ID: "i", App: "demo", Host: "10.0.0.1", Port: 20880, Metadata: map[string]string{}}
			if tt.params != "" {
				in.Metadata[MetadataServiceParamsKey] = tt.params
			}
			if tt.endpoints != "" {
				in.Metadata[EndpointsKey] = tt.endpoints
			}
			u, err := in.MetadataServiceURL()
			if tt.err != "" {
				require.ErrorContains(t, err, tt.err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, u.String())
		})
	}
}
