package admin_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/fleetrpc/fleet/admin"
	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/config"
	_ "github.com/fleetrpc/fleet/protocol/dubbo"
	"github.com/fleetrpc/fleet/registry"
)

// With metrics and tracing on, the reference's invoker is wrapped; the
// snapshot still finds the running directory and the cluster's outlier
// state under the wrappers.
func TestSnapshotShowsEjectedProviders(t *testing.T) {
	ctx := context.Background()
	cfg, err := config.LoadBytes("outlier.yml", []byte(fmt.Sprintf(`
dubbo:
  application: {name: outlier-test}
  metrics: {enable: true, port: "0", host: 127.0.0.1}
  tracing: {enable: true}
  registries:
    mem: {protocol: memory, address: %s}
  protocols:
    injvm: {name: injvm, port: 30072}
  provider:
    services:
      Greeter: {interface: org.example.Greeter}
  consumer:
    references:
      Greeter:
        interface: org.example.Greeter
        check: false
        loadbalance: roundrobin
        retries: "2"
        params: {outlier.consecutive: "1", outlier.ejection: "60s"}
`, strings.ReplaceAll(t.Name(), "/", "-"))))
	require.NoError(t, err)
	provider := config.NewRuntime(cfg, config.WithLocalIP("127.0.0.1"))
	defer provider.Close()
	require.NoError(t, provider.Export(ctx, "Greeter", greeter{}))
	// A provider nobody listens for: every call to it fails on the network.
	regs, err := cfg.RegistryURLs(nil)
	require.NoError(t, err)
	r, err := registry.Open(regs[0])
	require.NoError(t, err)
	defer r.Close()
	dead := common.MustParse("dubbo://127.0.0.1:1/org.example.Greeter?interface=org.example.Greeter&side=provider&methods=sayHello&application=gone")
	require.NoError(t, r.Register(ctx, dead))

	consumer := config.NewRuntime(cfg, config.WithLocalIP("127.0.0.1"))
	defer consumer.Close()
	srv, err := admin.Listen(consumer, "127.0.0.1:0")
	require.NoError(t, err)
	defer srv.Close()
	ref, err := consumer.Refer(ctx, "Greeter")
	require.NoError(t, err)
	require.Eventually(t, func() bool { return len(consumer.Providers(ref)) == 2 }, 5*time.Second, 10*time.Millisecond)
	for range 4 { // round robin reaches the dead one; failover hides it
		v, err := ref.Call(ctx, "sayHello", "x")
		require.NoError(t, err)
		require.Equal(t, "Hello x", v)
	}

	var snap config.Snapshot
	require.NoError(t, json.Unmarshal([]byte(mustGet(t, "http://"+srv.Addr()+"/snapshot?reference=Greeter&method=sayHello")), &snap))
	require.Len(t, snap.Directories, 1)
	live := snap.Directories[0]
	states := map[string]string{}
	for _, o := range live.Outliers {
		states[o.Address] = o.State
	}
	require.Equal(t, "ejected", states["127.0.0.1:1"], "outliers: %+v", live.Outliers)
	require.Equal(t, "serving", states["127.0.0.1:30072"])
	outlier := map[string]string{}
	for _, p := range live.Providers {
		outlier[p.Address] = p.Outlier
	}
	require.Equal(t, map[string]string{"127.0.0.1:1": "ejected", "127.0.0.1:30072": ""}, outlier)

	// ls shows it too.
	var ls admin.Listing
	require.NoError(t, json.Unmarshal([]byte(mustGet(t, "http://"+srv.Addr()+"/ls")), &ls))
	require.Len(t, ls.References, 1)
	outlier = map[string]string{}
	for _, p := range ls.References[0].Providers {
		outlier[p.Address] = p.Outlier
	}
	require.Equal(t, map[string]string{"127.0.0.1:1": "ejected", "127.0.0.1:30072": ""}, outlier)

	// And the metrics count it.
	scrape := mustGet(t, "http://"+consumer.MetricsAddr()+"/metrics")
	require.Regexp(t, `dubbo_consumer_outlier_providers\{[^}]*interface="org.example.Greeter"[^}]*state="ejected"[^}]*\} 1\n`, scrape)
}
