package nacos_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/internal/nacos"
)

func TestParseURL(t *testing.T) {
	type server struct {
		host       string
		port, grpc uint64
	}
	tests := []struct {
		url       string
		servers   []server
		group, ns string
		user      string
		pass      string
		timeout   time.Duration
		app       string
	}{
		{url: "nacos://127.0.0.1:8848", servers: []server{{"127.0.0.1", 8848, 9848}}, group: "DEFAULT_GROUP", timeout: 10 * time.Second},
		{url: "nacos://10.0.0.1", servers: []server{{"10.0.0.1", 8848, 9848}}, group: "DEFAULT_GROUP", timeout: 10 * time.Second},
		{
			url:     "nacos://a:1,b:2?backup=c:3,d&namespace=dev&group=g1&timeout=3000&application=app",
			servers: []server{{"a", 1, 1001}, {"b", 2, 1002}, {"c", 3, 1003}, {"d", 8848, 9848}},
			group:   "g1", ns: "dev", timeout: 3 * time.Second, app: "app",
		},
		{url: "nacos://h:1?group=g1&nacos.group=g2&timeout=2s", servers: []server{{"h", 1, 1001}}, group: "g2", timeout: 2 * time.Second},
		{url: "nacos://u:p@h:1", servers: []server{{"h", 1, 1001}}, group: "DEFAULT_GROUP", user: "u", pass: "p", timeout: 10 * time.Second},
		{url: "nacos://h:1?username=u2&password=p2", servers: []server{{"h", 1, 1001}}, group: "DEFAULT_GROUP", user: "u2", pass: "p2", timeout: 10 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			c, err := nacos.ParseURL(common.MustParse(tt.url))
			require.NoError(t, err)
			var got []server
			for _, s := range c.Servers {
				got = append(got, server{s.IpAddr, s.Port, s.GrpcPort})
			}
			require.Equal(t, tt.servers, got)
			require.Equal(t, tt.group, c.Group)
			require.Equal(t, tt.ns, c.Namespace)
			require.Equal(t, tt.ns, c.Client.NamespaceId)
			require.Equal(t, tt.user, c.Client.Username)
			require.Equal(t, tt.pass, c.Client.Password)
			require.Equal(t, tt.timeout, c.Timeout)
			require.Equal(t, uint64(tt.timeout/time.Millisecond), c.Client.TimeoutMs)
			require.Equal(t, tt.app, c.Client.AppName)
			require.True(t, c.Client.UpdateCacheWhenEmpty, "an empty list must reach the subscribers")
			require.Empty(t, c.Client.CacheDir, "directories come from Dirs")
		})
	}
}

func TestParseURLErrors(t *testing.T) {
	for _, u := range []string{
		"nacos://0.0.0.0:8848",
		"nacos://h:1?timeout=abc",
		"nacos://h:1?timeout=0",
		"nacos://h:1?nacos.poll=-1",
		"nacos://h:65000", // its gRPC port would be past 65535
		"nacos://h:1?backup=:5",
	} {
		t.Run(u, func(t *testing.T) {
			_, err := nacos.ParseURL(common.MustParse(u))
			require.Error(t, err)
			require.Contains(t, err.Error(), "nacos:")
		})
	}
}
