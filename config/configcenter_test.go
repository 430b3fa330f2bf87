package config

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/configcenter"
	_ "github.com/fleetrpc/fleet/configcenter/zookeeper"
	"github.com/fleetrpc/fleet/internal/testutil"
	"github.com/fleetrpc/fleet/internal/zktest"
)

func TestConfigCenterBlock(t *testing.T) {
	tests := []struct {
		name, yaml, want string
	}{
		{"dubbo-go block", `
dubbo:
  config-center:
    protocol: zookeeper
    address: 127.0.0.1:2181,127.0.0.2:2181
    namespace: gov
    group: rules
    username: u
    password: p
    timeout: 3s
    params: {session: "8000"}
`, "zookeeper://u:p@127.0.0.1:2181?backup=127.0.0.2:2181&group=rules&namespace=gov&session=8000&timeout=3000"},
		{"a URL", `
dubbo:
  config-center: nacos://127.0.0.1:8848?namespace=ns
`, "nacos://127.0.0.1:8848?namespace=ns"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := LoadBytes("cc.yml", []byte(tt.yaml), WithEnv(noEnv))
			require.NoError(t, err)
			require.NotNil(t, cfg.ConfigCenter)
			u, err := cfg.ConfigCenter.CenterURL()
			require.NoError(t, err)
			require.Equal(t, common.MustParse(tt.want).String(), u.String())
			require.Len(t, configCenterOptions(cfg), 1)
		})
	}
	cfg, err := LoadBytes("none.yml", []byte("dubbo:\n  application: {name: x}\n"), WithEnv(noEnv))
	require.NoError(t, err)
	require.Nil(t, cfg.ConfigCenter)
	require.Empty(t, configCenterOptions(cfg), "no block: the registry's address (the registry protocol's default)")
}

func TestConfigCenterInvalid(t *testing.T) {
	for _, tt := range []struct{ yaml, want string }{
		{"dubbo:\n  config-center: {address: 127.0.0.1:2181}\n", "dubbo.config-center.protocol"},
		{"dubbo:\n  config-center: {protocol: zookeeper}\n", "dubbo.config-center.address"},
		{"dubbo:\n  config-center: {protocol: zookeeper, address: 127.0.0.1:2181, timeout: soon}\n", "dubbo.config-center.timeout"},
		{"dubbo:\n  config-center: \"zookeeper://h:99999\"\n", "dubbo.config-center"},
	} {
		_, err := LoadBytes("bad.yml", []byte(tt.yaml), WithEnv(noEnv))
		require.ErrorContains(t, err, tt.want, tt.yaml)
	}
}

// TestRuntimeReadsRulesFromConfigCenter: a runtime with a config-center
// block applies the condition rule dubbo-admin writes for its application.
func TestRuntimeReadsRulesFromConfigCenter(t *testing.T) {
	zk := zktest.Addr(t)
	ns := fmt.Sprintf("fleet-config-cc-%d", time.Now().UnixNano())
	yml := fmt.Sprintf(`
dubbo:
  application: {name: cc-consumer}
  config-center: {protocol: zookeeper, address: %q, namespace: %s, timeout: 3s}
  registries:
    mem: {protocol: memory, address: cc-test}
  protocols:
    injvm: {name: injvm, port: 30011}
  provider:
    services:
      Greeter: {interface: org.example.Greeter, version: 1.0.0}
  consumer:
    references:
      Greeter: {interface: org.example.Greeter, version: 1.0.0, protocol: injvm, retries: 0}
`, zk, ns)
	cfg, err := LoadBytes("cc.yml", []byte(yml), WithEnv(noEnv))
	require.NoError(t, err)
	ctx := context.Background()
	admin, err := configcenter.Open(common.MustParse(fmt.Sprintf("zookeeper://%s?namespace=%s&timeout=3000", zk, ns)))
	require.NoError(t, err)
	defer admin.Close()
	defer func() { _ = admin.Remove(ctx, "cc-consumer.condition-router", "") }()

	provider := NewRuntime(cfg, WithLocalIP("127.0.0.1"))
	defer provider.Close()
	require.NoError(t, provider.Export(ctx, "Greeter", greeter{from: "provider"}))
	consumer := NewRuntime(cfg, WithLocalIP("127.0.0.1"))
	defer consumer.Close()
	var client GreeterClient
	_, err = consumer.ReferProxy(ctx, &client)
	require.NoError(t, err)
	_, err = client.SayHello(ctx, "world")
	require.NoError(t, err)

	require.NoError(t, admin.Publish(ctx, "cc-consumer.condition-router", "",
		"scope: application\nkey: cc-consumer\nforce: true\nconditions: [\"=> host = 10.255.255.1\"]\n"))
	require.Eventually(t, func() bool {
		_, err := client.SayHello(ctx, "world")
		return err != nil
	}, testutil.DefaultTimeout, 20*time.Millisecond, "the rule leaves no provider")
	require.NoError(t, admin.Remove(ctx, "cc-consumer.condition-router", ""))
	require.Eventually(t, func() bool {
		_, err := client.SayHello(ctx, "world")
		return err == nil
	}, testutil.DefaultTimeout, 20*time.Millisecond, "deleting the rule brings the provider back")
}
