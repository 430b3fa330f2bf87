package admin_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/fleetrpc/fleet/admin"
	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/config"
	_ "github.com/fleetrpc/fleet/protocol/injvm"
	"github.com/fleetrpc/fleet/registry"
	_ "github.com/fleetrpc/fleet/registry/memory"
	_ "github.com/fleetrpc/fleet/router/condition"
)

type greeter struct{}

func (greeter) SayHello(_ context.Context, name string) (string, error) { return "Hello " + name, nil }

type counter struct{}

func (counter) Count(_ context.Context, n int64) (int64, error) { return n + 1, nil }

func adminConfig(t *testing.T) *config.Config {
	t.Helper()
	cfg, err := config.LoadBytes("admin.yml", []byte(fmt.Sprintf(`
dubbo:
  application: {name: admin-test}
  admin: {port: "0"}
  registries:
    mem: {protocol: memory, address: %s}
  protocols:
    injvm: {name: injvm, port: 30071}
  provider:
    services:
      Greeter: {interface: org.example.Greeter}
      Counter: {interface: org.example.Counter, group: g, version: "2.0"}
  consumer:
    references:
      Greeter: {interface: org.example.Greeter, protocol: injvm, check: false}
`, strings.ReplaceAll(t.Name(), "/", "-"))))
	require.NoError(t, err)
	return cfg
}

func get(t *testing.T, u string) (int, string) {
	t.Helper()
	resp, err := http.Get(u)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(body)
}

func post(t *testing.T, u string) (int, string) {
	t.Helper()
	resp, err := http.Post(u, "text/plain", nil)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(body)
}

func probes(t *testing.T, base string) (live, ready, startup int) {
	t.Helper()
	live, _ = get(t, base+"/live")
	ready, _ = get(t, base+"/ready")
	startup, _ = get(t, base+"/startup")
	return
}

func TestAdminOffByDefault(t *testing.T) {
	cfg, err := config.LoadBytes("plain.yml", []byte("dubbo:\n  application: {name: x}\n"))
	require.NoError(t, err)
	rt := config.NewRuntime(cfg)
	defer rt.Close()
	srv, err := admin.Start(rt)
	require.NoError(t, err)
	require.Nil(t, srv)
}

func TestProbesOnlineOfflineAndLs(t *testing.T) {
	ctx := context.Background()
	cfg := adminConfig(t)
	provider := config.NewRuntime(cfg, config.WithLocalIP("127.0.0.1"))
	defer provider.Close()
	srv, err := admin.Start(provider)
	require.NoError(t, err)
	defer srv.Close()
	require.True(t, strings.HasPrefix(srv.Addr(), "127.0.0.1:"), "loopback by default: %s", srv.Addr())
	base := "http://" + srv.Addr()

	live, ready, startup := probes(t, base)
	require.Equal(t, []int{200, 503, 503}, []int{live, ready, startup}, "nothing exported yet")
	require.NoError(t, provider.Export(ctx, "Greeter", greeter{}))
	live, ready, startup = probes(t, base)
	require.Equal(t, []int{200, 503, 503}, []int{live, ready, startup}, "Counter is not exported yet")
	require.NoError(t, provider.Export(ctx, "Counter", counter{}))
	live, ready, startup = probes(t, base)
	require.Equal(t, []int{200, 200, 200}, []int{live, ready, startup})

	// A consumer sees the provider through the registry.
	consumer := config.NewRuntime(cfg, config.WithLocalIP("127.0.0.1"))
	defer consumer.Close()
	ref, err := consumer.Refer(ctx, "Greeter")
	require.NoError(t, err)
	v, err := ref.Call(ctx, "sayHello", "a")
	require.NoError(t, err)
	require.Equal(t, "Hello a", v)

	code, body := get(t, base+"/ls")
	require.Equal(t, 200, code)
	var ls admin.Listing
	require.NoError(t, json.Unmarshal([]byte(body), &ls))
	require.Len(t, ls.Services, 2)
	require.Equal(t, "Greeter", ls.Services[0].Name)
	require.Equal(t, 1, ls.Services[0].Registered)
	require.Equal(t, "g/org.example.Counter:2.0", ls.Services[1].ServiceKey)
	require.Empty(t, ls.References, "the provider runtime refers nothing")
	var cls admin.Listing
	csrv, err := admin.Listen(consumer, "127.0.0.1:0")
	require.NoError(t, err)
	defer csrv.Close()
	require.NoError(t, json.Unmarshal([]byte(mustGet(t, "http://"+csrv.Addr()+"/ls")), &cls))
	require.Len(t, cls.References, 1)
	require.Equal(t, "Greeter", cls.References[0].Name)
	require.True(t, cls.References[0].Available)
	require.Len(t, cls.References[0].Providers, 1)
	require.Equal(t, "127.0.0.1:30071", cls.References[0].Providers[0].Address)
	require.True(t, cls.References[0].Providers[0].Available)
	require.Contains(t, cls.References[0].Providers[0].URL, "injvm://127.0.0.1:30071/org.example.Greeter")

	// Offline withdraws Greeter from the registry without unexporting it.
	code, body = post(t, base+"/offline?service=Greeter")
	require.Equal(t, 200, code, body)
	require.JSONEq(t, `{"changed":1}`, body)
	_, ready, _ = probes(t, base)
	require.Equal(t, 503, ready, "a service offline: not ready")
	require.Eventually(t, func() bool { return !ref.Invoker().IsAvailable() }, 5*time.Second, 10*time.Millisecond,
		"the consumer's directory loses the provider")
	require.NoError(t, json.Unmarshal([]byte(mustGet(t, "http://"+csrv.Addr()+"/ls")), &cls))
	require.Empty(t, cls.References[0].Providers, "the directory destroyed the provider's invoker")
	require.Equal(t, 0, providersIn(t, cfg, "org.example.Greeter"))
	require.NoError(t, json.Unmarshal([]byte(mustGet(t, base+"/ls")), &ls))
	require.Equal(t, 0, ls.Services[0].Registered)
	require.Equal(t, 1, ls.Services[0].Offline)
	require.Equal(t, 1, ls.Services[1].Registered, "Counter stays online")
	code, body = post(t, base+"/offline?service=Greeter")
	require.Equal(t, 200, code, body)
	require.JSONEq(t, `{"changed":0}`, body, "offline twice changes nothing")

	code, body = post(t, base+"/online?service=Greeter")
	require.Equal(t, 200, code, body)
	require.JSONEq(t, `{"changed":1}`, body)
	_, ready, _ = probes(t, base)
	require.Equal(t, 200, ready)
	require.Eventually(t, func() bool { return ref.Invoker().IsAvailable() }, 5*time.Second, 10*time.Millisecond)
	v, err = ref.Call(ctx, "sayHello", "b")
	require.NoError(t, err)
	require.Equal(t, "Hello b", v)

	// Without a name, every service.
	_, body = post(t, base+"/offline")
	require.JSONEq(t, `{"changed":2}`, body)
	_, body = post(t, base+"/online")
	require.JSONEq(t, `{"changed":2}`, body)

	code, body = post(t, base+"/offline?service=Nope")
	require.Equal(t, 404, code)
	require.Contains(t, body, "Nope")
	code, _ = get(t, base+"/offline")
	require.Equal(t, http.StatusMethodNotAllowed, code, "offline changes state: POST only")

	provider.Close()
	live, ready, _ = probes(t, base)
	require.Equal(t, []int{200, 503}, []int{live, ready}, "a closed runtime is not ready")
}

// providersIn counts the provider URLs of iface in the test's registry.
func providersIn(t *testing.T, cfg *config.Config, iface string) int {
	t.Helper()
	regs, err := cfg.RegistryURLs(nil)
	require.NoError(t, err)
	r, err := registry.Open(regs[0])
	require.NoError(t, err)
	defer r.Close()
	urls, err := r.Lookup(context.Background(), common.NewURL("consumer", "127.0.0.1", 0, iface,
		map[string]string{common.InterfaceKey: iface, common.CategoryKey: common.ProvidersCategory}))
	require.NoError(t, err)
	n := 0
	for _, u := range urls {
		if u.Protocol() != common.EmptyProtocol {
			n++
		}
	}
	return n
}

func mustGet(t *testing.T, u string) string {
	t.Helper()
	code, body := get(t, u)
	require.Equal(t, 200, code, body)
	return body
}

func TestSnapshotExplainsRules(t *testing.T) {
	ctx := context.Background()
	cfg := adminConfig(t)
	provider := config.NewRuntime(cfg, config.WithLocalIP("127.0.0.1"))
	defer provider.Close()
	require.NoError(t, provider.Export(ctx, "Greeter", greeter{}))
	consumer := config.NewRuntime(cfg, config.WithLocalIP("127.0.0.1"))
	defer consumer.Close()
	srv, err := admin.Listen(consumer, "127.0.0.1:0")
	require.NoError(t, err)
	defer srv.Close()
	base := "http://" + srv.Addr()

	code, body := get(t, base+"/snapshot?reference=Greeter")
	require.Equal(t, 404, code, "not referred yet: %s", body)
	_, err = consumer.Refer(ctx, "Greeter")
	require.NoError(t, err)

	var snap config.Snapshot
	require.NoError(t, json.Unmarshal([]byte(mustGet(t, base+"/snapshot?reference=Greeter&method=sayHello")), &snap))
	require.Equal(t, "Greeter", snap.Reference)
	require.True(t, snap.Available)
	require.Len(t, snap.Views, 1)
	view := snap.Views[0]
	require.Len(t, view.Providers, 1)
	p := view.Providers[0]
	require.Equal(t, "127.0.0.1:30071", p.Address)
	require.True(t, p.Reached)
	require.Contains(t, p.Registered, "injvm://127.0.0.1:30071/org.example.Greeter")
	require.Contains(t, p.Merged, "side=consumer", "the merged URL carries the consumer's params")
	require.Equal(t, []string{"127.0.0.1:30071"}, view.Reached)
	require.Len(t, snap.Live, 1, "the running directory's provider")
	require.Equal(t, "127.0.0.1:30071", snap.Live[0].Address)
	require.Len(t, snap.Directories, 1, "the running directory")
	require.Equal(t, []string{"127.0.0.1:30071"}, snap.Directories[0].Reached)
	require.Contains(t, snap.Directories[0].Registry, "memory://")
	require.Empty(t, snap.Directories[0].Rules)

	// A condition rule in the registry removes the provider for sayHello.
	regs, err := cfg.RegistryURLs(nil)
	require.NoError(t, err)
	r, err := registry.Open(regs[0])
	require.NoError(t, err)
	defer r.Close()
	rule := common.NewURL("route", "0.0.0.0", 0, "org.example.Greeter", map[string]string{
		common.CategoryKey: common.RoutersCategory, "router": "condition", "force": "true", "dynamic": "false",
		"rule": url.QueryEscape("method = sayHello => host = 10.9.9.9"),
	})
	require.NoError(t, r.Register(ctx, rule))

	require.NoError(t, json.Unmarshal([]byte(mustGet(t, base+"/snapshot?reference=Greeter&method=sayHello")), &snap))
	view = snap.Views[0]
	require.Len(t, view.Rules, 1)
	require.Empty(t, view.Reached)
	require.False(t, view.Providers[0].Reached)
	require.Contains(t, view.Providers[0].RemovedBy, "host = 10.9.9.9", "the rule that removed it")
	require.Contains(t, view.Explanation, "10.9.9.9")
	require.Eventually(t, func() bool { // the running directory is notified of the rule
		require.NoError(t, json.Unmarshal([]byte(mustGet(t, base+"/snapshot?reference=Greeter&method=sayHello")), &snap))
		return len(snap.Directories[0].Rules) == 1
	}, 5*time.Second, 10*time.Millisecond)
	live := snap.Directories[0]
	require.Empty(t, live.Reached)
	require.Len(t, live.Providers, 1)
	require.False(t, live.Providers[0].Reached)
	require.Contains(t, live.Providers[0].RemovedBy, "host = 10.9.9.9", "the rule in force that removed it")
	require.Contains(t, live.Rules[0], "host = 10.9.9.9")

	require.NoError(t, json.Unmarshal([]byte(mustGet(t, base+"/snapshot?reference=Greeter&method=other")), &snap))
	require.Equal(t, []string{"127.0.0.1:30071"}, snap.Views[0].Reached, "the rule is about sayHello only")

	code, _ = get(t, base+"/snapshot?reference=Nope")
	require.Equal(t, 404, code)
	code, _ = get(t, base+"/snapshot")
	require.Equal(t, 400, code)
	code, body = get(t, base+"/debug/pprof/")
	require.Equal(t, 200, code)
	require.Contains(t, body, "goroutine")
}
