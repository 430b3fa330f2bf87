package config

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/stretchr/testify/require"

	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/configcenter"
	"github.com/fleetrpc/fleet/internal/testutil"
	_ "github.com/fleetrpc/fleet/registry/zookeeper"
)

// gaugeOf returns the gauge or counter value of the series of name whose
// labels include want; -1 when there is none.
func gaugeOf(fams map[string]*dto.MetricFamily, name string, want map[string]string) float64 {
next:
	for _, m := range fams[name].GetMetric() {
		have := map[string]string{}
		for _, l := range m.GetLabel() {
			have[l.GetName()] = l.GetValue()
		}
		for k, v := range want {
			if have[k] != v {
				continue next
			}
		}
		if m.Counter != nil {
			return m.GetCounter().GetValue()
		}
		return m.GetGauge().GetValue()
	}
	return -1
}

// TestLiveRulesAndScrapeTimeMetricsOverZooKeeper: through a real
// ZooKeeper registry and config center, the consumer's metrics show the
// registry session, the connection to the provider and the rules in
// force, and the snapshot shows the config center's rule removing the
// provider, which a fresh registry lookup cannot see.
func TestLiveRulesAndScrapeTimeMetricsOverZooKeeper(t *testing.T) {
	zk := os.Getenv("FLEET_ZK")
	if zk == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("FLEET_ZK is not set but CI is")
		}
		t.Skip("FLEET_ZK is not set: start a ZooKeeper and set FLEET_ZK=host:port to run the ZooKeeper tests (.ci/run does)")
	}
	ns := fmt.Sprintf("fleet-obs-cc-%d", time.Now().UnixNano())
	root := fmt.Sprintf("fleet-obs-reg-%d", time.Now().UnixNano())
	port := testutil.FreePort(t)
	cfg, err := LoadBytes("obs-zk.yml", []byte(fmt.Sprintf(`
dubbo:
  application: {name: obs-zk}
  metrics: {enable: true, host: 127.0.0.1, port: "0"}
  config-center: {protocol: zookeeper, address: %q, namespace: %s, timeout: 3s}
  registries:
    zk: {protocol: zookeeper, address: %q, group: %s, timeout: 3s}
  protocols:
    dubbo: {name: dubbo, ip: 127.0.0.1, port: %d}
  provider:
    services:
      Greeter: {interface: org.example.Greeter, version: 1.0.0}
  consumer:
    references:
      Greeter: {interface: org.example.Greeter, version: 1.0.0, retries: 0}
`, zk, ns, zk, root, port)), WithEnv(noEnv))
	require.NoError(t, err)
	ctx := context.Background()
	admin, err := configcenter.Open(common.MustParse(fmt.Sprintf("zookeeper://%s?namespace=%s&timeout=3000", zk, ns)))
	require.NoError(t, err)
	defer admin.Close()
	defer func() { _ = admin.Remove(ctx, "obs-zk.condition-router", "") }()

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

	scrape := func() map[string]*dto.MetricFamily { return scrapeText(t, "http://"+consumer.MetricsAddr()+"/metrics") }
	fams := scrape()
	reg := map[string]string{"registry": "zookeeper://" + zk, "application_name": "obs-zk"}
	require.Equal(t, 1.0, gaugeOf(fams, "dubbo_registry_connected", reg))
	require.Equal(t, 0.0, gaugeOf(fams, "dubbo_registry_session_expiries_total", reg))
	require.Equal(t, 0.0, gaugeOf(fams, "dubbo_registry_failback_queue_length", reg))
	require.Equal(t, 1.0, gaugeOf(fams, "dubbo_configcenter_connected",
		map[string]string{"configcenter": "zookeeper://" + zk, "application_name": "obs-zk"}))
	providerAddr := fmt.Sprintf("127.0.0.1:%d", port)
	require.Equal(t, 1.0, gaugeOf(fams, "dubbo_consumer_connections", map[string]string{"address": providerAddr}))
	require.Equal(t, 1.0, gaugeOf(fams, "dubbo_consumer_connections_held", map[string]string{"address": providerAddr}))
	greeterRules := func(kind string) map[string]string {
		return map[string]string{"interface": "org.example.Greeter", "version": "1.0.0", "kind": kind}
	}
	require.Equal(t, 0.0, gaugeOf(fams, "dubbo_registry_directory_rules", greeterRules("router")))
	require.Equal(t, 0.0, gaugeOf(fams, "dubbo_registry_directory_rules", greeterRules("configurator")))

	// A rule in the config center (dubbo-admin's layout) removes the
	// provider.
	require.NoError(t, admin.Publish(ctx, "obs-zk.condition-router", "",
		"scope: application\nkey: obs-zk\nforce: true\nconditions: [\"=> host = 10.255.255.1\"]\n"))
	require.Eventually(t, func() bool {
		_, err := client.SayHello(ctx, "world")
		return err != nil
	}, testutil.DefaultTimeout, 20*time.Millisecond, "the rule leaves no provider")

	snap, err := consumer.Snapshot(ctx, "Greeter", "sayHello")
	require.NoError(t, err)
	require.Len(t, snap.Directories, 1)
	live := snap.Directories[0]
	require.Contains(t, live.Registry, "zookeeper://"+zk)
	require.Len(t, live.Rules, 1, "the config center's rule is in force")
	require.Contains(t, live.Rules[0], "10.255.255.1")
	require.Empty(t, live.Reached)
	require.Len(t, live.Providers, 1)
	require.Equal(t, providerAddr, live.Providers[0].Address)
	require.Contains(t, live.Providers[0].RemovedBy, "10.255.255.1", "the config center's rule removed it")
	require.Len(t, snap.Views, 1)
	require.Empty(t, snap.Views[0].Rules, "a fresh registry lookup has no config-center rule")
	require.Equal(t, []string{providerAddr}, snap.Views[0].Reached)
	require.Equal(t, 1.0, gaugeOf(scrape(), "dubbo_registry_directory_rules", greeterRules("router")))

	require.NoError(t, admin.Remove(ctx, "obs-zk.condition-router", ""))
	require.Eventually(t, func() bool {
		return gaugeOf(scrape(), "dubbo_registry_directory_rules", greeterRules("router")) == 0
	}, testutil.DefaultTimeout, 20*time.Millisecond, "the rule is gone")
	snap, err = consumer.Snapshot(ctx, "Greeter", "sayHello")
	require.NoError(t, err)
	require.Equal(t, []string{providerAddr}, snap.Directories[0].Reached)
	require.NotContains(t, snap.Directories[0].Explanation, "10.255.255.1")
}
