package protocol

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	_ "github.com/fleetrpc/fleet/cluster" // failover
	"github.com/fleetrpc/fleet/common"
	rpc "github.com/fleetrpc/fleet/protocol"
	"github.com/fleetrpc/fleet/protocol/injvm"
	"github.com/fleetrpc/fleet/protocol/service"
	"github.com/fleetrpc/fleet/registry"
	"github.com/fleetrpc/fleet/registry/memory"
)

const iface = "org.apache.dubbo.demo.DemoService"

var (
	ctx   = context.Background()
	quiet = slog.New(slog.DiscardHandler)
)

type greeter struct{ name string }

func (g *greeter) SayHello(_ context.Context, who string) (string, error) {
	return g.name + ": hello " + who, nil
}

// countingRegistry records the calls a Protocol makes.
type countingRegistry struct {
	registry.Registry
	mu           sync.Mutex
	registered   map[string]bool
	subscribed   int
	unsubscribed int
}

func newCounting(r registry.Registry) *countingRegistry {
	return &countingRegistry{Registry: r, registered: map[string]bool{}}
}

func (c *countingRegistry) Register(ctx context.Context, u *common.URL) error {
	c.mu.Lock()
	c.registered[u.String()] = true
	c.mu.Unlock()
	return c.Registry.Register(ctx, u)
}

func (c *countingRegistry) Unregister(ctx context.Context, u *common.URL) error {
	c.mu.Lock()
	delete(c.registered, u.String())
	c.mu.Unlock()
	return c.Registry.Unregister(ctx, u)
}

func (c *countingRegistry) Subscribe(ctx context.Context, u *common.URL, l registry.NotifyListener) error {
	c.mu.Lock()
	c.subscribed++
	c.mu.Unlock()
	return c.Registry.Subscribe(ctx, u, l)
}

func (c *countingRegistry) Unsubscribe(ctx context.Context, u *common.URL, l registry.NotifyListener) error {
	c.mu.Lock()
	c.unsubscribed++
	c.mu.Unlock()
	return c.Registry.Unsubscribe(ctx, u, l)
}

func (c *countingRegistry) registeredURLs() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for u := range c.registered {
		out = append(out, u)
	}
	return out
}

func referURL(name string, q map[string]string) *common.URL {
	return common.MustParse("memory://" + name + "?refer=" + common.Encode(common.ToQueryString(q)))
}

func providerURL(port int, extra map[string]string) *common.URL {
	params := map[string]string{
		common.InterfaceKey: iface, common.ApplicationKey: fmt.Sprintf("provider-%d", port),
		common.MethodsKey: "sayHello", common.SideKey: common.ProviderSide,
	}
	for k, v := range extra {
		params[k] = v
	}
	return common.NewURL(injvm.Name, "127.0.0.1", port, iface, params)
}

func export(t *testing.T, p *Protocol, store string, port int) rpc.Exporter {
	t.Helper()
	u := providerURL(port, nil)
	svc, err := service.New(u, &greeter{name: fmt.Sprintf("p%d", port)})
	require.NoError(t, err)
	e, err := p.Export(ctx, common.MustParse("memory://"+store+"?export="+u.Encoded()), svc)
	require.NoError(t, err)
	return e
}

func call(inv rpc.Invoker) (string, error) {
	res := inv.Invoke(ctx, rpc.NewInvocation("sayHello", "bob"))
	if err := res.Error(); err != nil {
		return "", err
	}
	return res.Value().(string), nil
}

// answerers calls inv n times and returns who answered.
func answerers(t *testing.T, inv rpc.Invoker, n int) map[string]int {
	t.Helper()
	got := map[string]int{}
	for i := 0; i < n; i++ {
		s, err := call(inv)
		require.NoError(t, err)
		got[s[:len(s)-len(": hello bob")]]++
	}
	return got
}

func TestReferThroughMemoryRegistryEndToEnd(t *testing.T) {
	store := "e2e-" + t.Name()
	jvm := injvm.New()
	defer jvm.Destroy()
	providers := New(WithProtocol(injvm.Name, jvm), WithLogger(quiet))
	defer providers.Destroy()
	e1 := export(t, providers, store, 1)
	export(t, providers, store, 2)

	consumers := New(WithProtocol(injvm.Name, jvm), WithLogger(quiet))
	defer consumers.Destroy()
	ref, err := consumers.Refer(ctx, referURL(store, map[string]string{
		common.InterfaceKey: iface, common.ApplicationKey: "consumer", common.MethodsKey: "sayHello",
		common.RegisterIPKey: "10.0.0.9", common.SideKey: common.ConsumerSide, common.RetriesKey: "2",
	}))
	require.NoError(t, err)
	defer ref.Destroy()
	require.True(t, ref.IsAvailable())
	require.Equal(t, map[string]int{"p1": 0, "p2": 0}, keysOnly(answerers(t, ref, 40)))

	// The consumer is registered under consumers.
	admin := memory.Open(common.MustParse("memory://" + store))
	defer admin.Close()
	found, err := admin.Lookup(ctx, common.MustParse("admin://0.0.0.0/"+iface+"?interface="+iface+"&category=consumers"))
	require.NoError(t, err)
	require.Len(t, found, 1)
	require.Equal(t, "consumer://10.0.0.9/"+iface, found[0].IdentityString())
	require.Equal(t, "false", found[0].ParamOr(common.CheckKey, ""))

	// A provider joins, another leaves.
	export(t, providers, store, 3)
	require.Eventually(t, func() bool { return answerers(t, ref, 40)["p3"] > 0 }, 10*time.Second, 5*time.Millisecond)
	e1.Unexport()
	require.Eventually(t, func() bool { return answerers(t, ref, 40)["p1"] == 0 }, 10*time.Second, 5*time.Millisecond)
	// Failover hides a provider gone from the registry before the push
	// arrives, so every call above succeeded.

	// An override disables p2; removing it brings p2 back.
	override := common.MustParse("override://127.0.0.1:2/" + iface + "?category=configurators&disabled=true")
	require.NoError(t, admin.Register(ctx, override))
	require.Eventually(t, func() bool { return keysEqual(answerers(t, ref, 40), "p3") }, 10*time.Second, 5*time.Millisecond)
	require.NoError(t, admin.Unregister(ctx, override))
	require.Eventually(t, func() bool { return answerers(t, ref, 40)["p2"] > 0 }, 10*time.Second, 5*time.Millisecond)

	// An override of timeout reaches the cluster's URL.
	timeout := common.MustParse("override://0.0.0.0/" + iface + "?category=configurators&retries=0")
	require.NoError(t, admin.Register(ctx, timeout))
	require.Eventually(t, func() bool { return ref.URL().ParamOr(common.RetriesKey, "") == "0" }, 10*time.Second, 5*time.Millisecond)
}

func keysOnly(m map[string]int) map[string]int {
	out := map[string]int{}
	for k := range m {
		out[k] = 0
	}
	return out
}

func keysEqual(m map[string]int, keys ...string) bool {
	if len(m) != len(keys) {
		return false
	}
	for _, k := range keys {
		if m[k] == 0 {
			return false
		}
	}
	return true
}

func TestReferCheck(t *testing.T) {
	store := "check-" + t.Name()
	jvm := injvm.New()
	defer jvm.Destroy()
	reg := newCounting(memory.Open(common.MustParse("memory://" + store)))
	defer reg.Close()
	p := New(WithRegistry(reg), WithProtocol(injvm.Name, jvm), WithLogger(quiet))
	defer p.Destroy()

	_, err := p.Refer(ctx, referURL(store, map[string]string{common.InterfaceKey: iface, common.GroupKey: "g", common.VersionKey: "1.0"}))
	require.ErrorIs(t, err, rpc.ErrNoProvider)
	require.ErrorContains(t, err, "Failed to check the status of the service "+iface+". No provider available for the service g/"+iface+":1.0 from the url memory://"+store)
	require.Empty(t, reg.registeredURLs(), "a failed check unregisters the consumer")
	require.Equal(t, reg.subscribed, reg.unsubscribed, "and unsubscribes")

	// check=false refers anyway; the reference is forbidden until a
	// provider arrives.
	ref, err := p.Refer(ctx, referURL(store, map[string]string{common.InterfaceKey: iface, common.CheckKey: "false"}))
	require.NoError(t, err)
	_, err = call(ref)
	require.ErrorIs(t, err, rpc.ErrForbidden)
	exp := New(WithProtocol(injvm.Name, jvm), WithLogger(quiet))
	defer exp.Destroy()
	export(t, exp, store, 7)
	require.Eventually(t, func() bool { _, err := call(ref); return err == nil }, 10*time.Second, 5*time.Millisecond)
	ref.Destroy()
}

func TestDestroyLeavesNoSubscription(t *testing.T) {
	store := "destroy-" + t.Name()
	jvm := injvm.New()
	defer jvm.Destroy()
	exp := New(WithProtocol(injvm.Name, jvm), WithLogger(quiet))
	defer exp.Destroy()
	export(t, exp, store, 1)

	reg := newCounting(memory.Open(common.MustParse("memory://" + store)))
	p := New(WithRegistry(reg), WithProtocol(injvm.Name, jvm), WithLogger(quiet))
	ref, err := p.Refer(ctx, referURL(store, map[string]string{common.InterfaceKey: iface}))
	require.NoError(t, err)
	require.Len(t, reg.registeredURLs(), 1)
	ref.Destroy()
	ref.Destroy()
	require.Empty(t, reg.registeredURLs())
	require.Equal(t, 1, reg.subscribed)
	require.Equal(t, 1, reg.unsubscribed)
	_, err = call(ref)
	require.Error(t, err)
	p.Destroy()
	require.NoError(t, reg.Close())
	_, err = p.Refer(ctx, referURL(store, map[string]string{common.InterfaceKey: iface}))
	require.ErrorIs(t, err, ErrDestroyed)
}

func TestRegisterFalse(t *testing.T) {
	store := "noreg-" + t.Name()
	reg := newCounting(memory.Open(common.MustParse("memory://" + store)))
	defer reg.Close()
	p := New(WithRegistry(reg), WithLogger(quiet))
	defer p.Destroy()
	ref, err := p.Refer(ctx, referURL(store, map[string]string{common.InterfaceKey: iface, common.CheckKey: "false", common.RegisterKey: "false"}))
	require.NoError(t, err)
	require.Empty(t, reg.registeredURLs())
	ref.Destroy()
}

func TestExportRegistersAndUnexportUnregisters(t *testing.T) {
	store := "export-" + t.Name()
	jvm := injvm.New()
	defer jvm.Destroy()
	reg := newCounting(memory.Open(common.MustParse("memory://" + store)))
	defer reg.Close()
	p := New(WithRegistry(reg), WithProtocol(injvm.Name, jvm), WithLogger(quiet))
	defer p.Destroy()
	e := export(t, p, store, 5)
	require.Equal(t, []string{providerURL(5, nil).String()}, reg.registeredURLs())
	u := providerURL(6, map[string]string{"bind.ip": "0.0.0.0", "qos.port": "22222", ".hidden": "x", "weight": "5"})
	svc, err := service.New(u, &greeter{name: "p6"})
	require.NoError(t, err)
	e6, err := p.Export(ctx, common.MustParse("memory://"+store), svc)
	require.NoError(t, err)
	require.Contains(t, reg.registeredURLs(), providerURL(6, map[string]string{"weight": "5"}).String(), "local params stay local")
	e6.Unexport()
	e.Unexport()
	e.Unexport()
	require.Empty(t, reg.registeredURLs())
	inv, err := jvm.Refer(providerURL(5, nil))
	require.NoError(t, err)
	require.False(t, inv.IsAvailable(), "unexported")
}

func TestReferErrors(t *testing.T) {
	p := New(WithLogger(quiet))
	defer p.Destroy()
	_, err := p.Refer(ctx, common.MustParse("memory://x"))
	require.ErrorContains(t, err, "no refer param")
	_, err = p.Refer(ctx, common.MustParse("nope://x?refer="+common.Encode("interface="+iface)))
	require.ErrorContains(t, err, "unknown registry")
	_, err = p.Refer(ctx, referURL("x", map[string]string{common.InterfaceKey: iface, common.ClusterKey: "nope"}))
	require.ErrorContains(t, err, `unknown cluster "nope"`)
}

func TestGenericRegistryScheme(t *testing.T) {
	store := "generic-" + t.Name()
	jvm := injvm.New()
	defer jvm.Destroy()
	exp := New(WithProtocol(injvm.Name, jvm), WithLogger(quiet))
	defer exp.Destroy()
	_, err := exp.Export(ctx, common.MustParse("registry://"+store+"?registry=memory&export="+providerURL(1, nil).Encoded()),
		mustService(t, providerURL(1, nil), "p1"))
	require.NoError(t, err)
	p := New(WithProtocol(injvm.Name, jvm), WithLogger(quiet))
	defer p.Destroy()
	ref, err := p.Refer(ctx, common.MustParse("registry://"+store+"?registry=memory&refer="+common.Encode("interface="+iface)))
	require.NoError(t, err)
	defer ref.Destroy()
	s, err := call(ref)
	require.NoError(t, err)
	require.Equal(t, "p1: hello bob", s)
}

func mustService(t *testing.T, u *common.URL, name string) rpc.Invoker {
	t.Helper()
	svc, err := service.New(u, &greeter{name: name})
	require.NoError(t, err)
	return svc
}
