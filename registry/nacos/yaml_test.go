package nacos_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/fleetrpc/fleet/config"
	inacos "github.com/fleetrpc/fleet/internal/nacos"
	"github.com/fleetrpc/fleet/registry/nacos"
)

// TestDubboGoYAML: dubbo-go's registry YAML (protocol: nacos, address,
// namespace, group, username, password, timeout, params) becomes the
// registry URL this registry reads.
func TestDubboGoYAML(t *testing.T) {
	cfg, err := config.LoadBytes("dubbogo.yml", []byte(`
dubbo:
  application:
    name: demo-consumer
  registries:
    nacos:
      protocol: nacos
      address: 127.0.0.1:8848,127.0.0.2:8848
      namespace: dev
      group: my-group
      username: nacos
      password: secret
      timeout: 3s
      params:
        nacos.poll: 2s
`))
	require.NoError(t, err)
	urls, err := cfg.RegistryURLs(nil)
	require.NoError(t, err)
	require.Len(t, urls, 1)
	u := urls[0]
	require.Equal(t, nacos.Scheme, u.Protocol())

	c, err := inacos.ParseURL(u)
	require.NoError(t, err)
	require.Equal(t, "dev", c.Namespace)
	require.Equal(t, "my-group", c.Group)
	require.Equal(t, "nacos", c.Client.Username)
	require.Equal(t, "secret", c.Client.Password)
	require.Equal(t, uint64(3000), c.Client.TimeoutMs)
	require.Equal(t, "demo-consumer", c.Client.AppName)
	require.Len(t, c.Servers, 2)
	require.Equal(t, "127.0.0.2", c.Servers[1].IpAddr)
	require.Equal(t, uint64(9848), c.Servers[1].GrpcPort)
	require.Equal(t, "2s", u.ParamOr(inacos.PollKey, ""))

	r, err := nacos.New(u)
	require.NoError(t, err)
	require.Equal(t, "my-group", r.Group())
	require.Equal(t, "dev", r.Namespace())
	require.NoError(t, r.Close())
}
