package protocol

import (
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/configcenter"
	"github.com/fleetrpc/fleet/internal/sdtest"
	"github.com/fleetrpc/fleet/internal/zktest"
	rpc "github.com/fleetrpc/fleet/protocol"
	"github.com/fleetrpc/fleet/protocol/injvm"
	"github.com/fleetrpc/fleet/protocol/service"
	"github.com/fleetrpc/fleet/registry"
	"github.com/fleetrpc/fleet/registry/migration"
)

// zkLevels is a service on a real ZooKeeper at both discovery levels: a
// provider named iface registered per interface (/<group>/<iface>/providers)
// and, once app is called, a provider named app registered per
// application (mapping, instance, metadata report, as Dubbo 3 writes
// them), both served in process (injvm).
type zkLevels struct {
	env    *sdtest.Env
	addr   string
	iface  string
	jvm    *injvm.Protocol
	opened sync.Map // scheme → *atomic.Int64
}

func newZKLevels(t *testing.T, withIface bool) *zkLevels {
	t.Helper()
	addr := zktest.Addr(t)
	z := &zkLevels{env: sdtest.New(t, addr), addr: addr, jvm: injvm.New()}
	z.iface = "org.fleet.mig.Greeter" + strings.TrimPrefix(z.env.Group, "fleet-sdtest-")
	t.Cleanup(z.jvm.Destroy)
	if withIface {
		prov := New(WithProtocol(injvm.Name, z.jvm), WithLogger(quiet), WithoutConfigCenter())
		t.Cleanup(prov.Destroy)
		u := z.providerURL(1, "iface-app")
		svc, err := service.New(u, &greeter{name: "iface"})
		require.NoError(t, err)
		_, err = prov.Export(ctx, common.MustParse(z.registry()+"&export="+u.Encoded()), svc)
		require.NoError(t, err)
	}
	return z
}

func (z *zkLevels) providerURL(port int, app string) *common.URL {
	return common.NewURL(injvm.Name, "127.0.0.1", port, z.iface, map[string]string{
		common.InterfaceKey: z.iface, common.ApplicationKey: app, common.MethodsKey: "sayHello", common.SideKey: common.ProviderSide,
	})
}

func (z *zkLevels) registry() string {
	return fmt.Sprintf("zookeeper://%s?%s&timeout=3000&session=8000&retry.period=100&file.cache=false", z.addr, z.env.Params())
}

// app serves the application-level provider and writes its nodes; it
// returns the instance's node.
func (z *zkLevels) app(t *testing.T) string {
	t.Helper()
	svc, err := service.New(z.providerURL(2, "app-app"), &greeter{name: "app"})
	require.NoError(t, err)
	exp, err := z.jvm.Export(svc)
	require.NoError(t, err)
	t.Cleanup(exp.Unexport)
	z.env.Mapping(z.iface, "app-app")
	z.env.Metadata("app-app", "r1", sdtest.Service{Interface: z.iface, Protocol: injvm.Name,
		Params: map[string]string{common.MethodsKey: "sayHello", common.ApplicationKey: "app-app"}})
	return z.env.Instance("app-app", "127.0.0.1", 2, injvm.Name, "r1")
}

func (z *zkLevels) open(u *common.URL) (registry.Registry, error) {
	n, _ := z.opened.LoadOrStore(u.Protocol(), &atomic.Int64{})
	n.(*atomic.Int64).Add(1)
	return registry.Open(u)
}

func (z *zkLevels) openedCount(scheme string) int64 {
	if n, ok := z.opened.Load(scheme); ok {
		return n.(*atomic.Int64).Load()
	}
	return 0
}

// centerURL is a config center in the env's tree.
func (z *zkLevels) centerURL() *common.URL {
	return common.MustParse(fmt.Sprintf("zookeeper://%s?namespace=%s&group=dubbo&session=8000&timeout=3000", z.addr, z.env.Group))
}

func (z *zkLevels) consumer(t *testing.T, logger *slog.Logger) *Protocol {
	t.Helper()
	p := New(WithProtocol(injvm.Name, z.jvm), WithLogger(logger), WithRegistryOpener(z.open), WithConfigCenterURL(z.centerURL()))
	t.Cleanup(p.Destroy)
	return p
}

func (z *zkLevels) refer(t *testing.T, p *Protocol, scheme string, extra map[string]string) rpc.Invoker {
	t.Helper()
	q := map[string]string{
		common.InterfaceKey: z.iface, common.ApplicationKey: "mig-consumer", common.MethodsKey: "sayHello",
		common.SideKey: common.ConsumerSide, common.RegisterIPKey: "127.0.0.1",
	}
	for k, v := range extra {
		q[k] = v
	}
	reg := z.registry()
	if scheme != "" {
		reg = strings.Replace(reg, "zookeeper://", scheme+"://", 1) + "&registry=zookeeper"
	}
	ref, err := p.Refer(ctx, common.MustParse(reg+"&refer="+common.Encode(common.ToQueryString(q))))
	require.NoError(t, err)
	t.Cleanup(ref.Destroy)
	return ref
}

// TestMigrationZooKeeperApplicationFirst: by default a reference calls the
// interface-level provider while there is no application-level one, the
// application-level one as soon as it registers, and the interface-level
// one again when it leaves.
func TestMigrationZooKeeperApplicationFirst(t *testing.T) {
	z := newZKLevels(t, true)
	p := z.consumer(t, quiet)
	ref := z.refer(t, p, "", nil)
	step, _, ok := Step(ref)
	require.True(t, ok)
	require.Equal(t, migration.ApplicationFirst, step)
	require.Len(t, Sides(ref), 2)
	require.Equal(t, "iface", who(t, ref))

	node := z.app(t)
	require.Eventually(t, func() bool { return whoNow(ref) == "app" }, 10*time.Second, 10*time.Millisecond)
	_, app, _ := Step(ref)
	require.True(t, app)

	z.env.Delete(node)
	require.Eventually(t, func() bool { return whoNow(ref) == "iface" }, 10*time.Second, 10*time.Millisecond)
}

// TestMigrationZooKeeperForced: FORCE_INTERFACE never opens the
// application level, FORCE_APPLICATION (by param, or a
// service-discovery-registry URL) never the interface level.
func TestMigrationZooKeeperForced(t *testing.T) {
	tests := []struct {
		name       string
		scheme     string
		params     map[string]string
		want       string
		notOpened  string
		wantMigrat bool
	}{
		{name: "FORCE_INTERFACE", params: map[string]string{migration.StepKey: "FORCE_INTERFACE"}, want: "iface",
			notOpened: ServiceDiscoveryScheme, wantMigrat: true},
		{name: "FORCE_APPLICATION", params: map[string]string{migration.StepKey: "FORCE_APPLICATION"}, want: "app",
			notOpened: "zookeeper", wantMigrat: true},
		{name: "service-discovery-registry URL", scheme: ServiceDiscoveryScheme, want: "app", notOpened: "zookeeper"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			z := newZKLevels(t, true)
			z.app(t)
			p := New(WithProtocol(injvm.Name, z.jvm), WithLogger(quiet), WithRegistryOpener(z.open), WithoutConfigCenter())
			t.Cleanup(p.Destroy)
			ref := z.refer(t, p, tt.scheme, tt.params)
			require.Equal(t, tt.want, who(t, ref))
			require.Zero(t, z.openedCount(tt.notOpened), "%s opened", tt.notOpened)
			_, _, ok := Step(ref)
			require.Equal(t, tt.wantMigrat, ok)
		})
	}
}

// TestMigrationRuleLive: the config center's rule moves a reference
// between the levels while callers call, with no failed call; a rule that
// does not parse keeps the step; removing the rule reverts to the
// reference's param.
func TestMigrationRuleLive(t *testing.T) {
	z := newZKLevels(t, true)
	z.app(t)
	logs := &logBuffer{}
	p := z.consumer(t, slog.New(slog.NewTextHandler(logs, nil)))
	ref := z.refer(t, p, "", map[string]string{migration.StepKey: "FORCE_INTERFACE"})
	require.Equal(t, "iface", who(t, ref))

	cc, err := configcenter.Open(z.centerURL())
	require.NoError(t, err)
	defer cc.Close()
	key := migration.RuleKey("mig-consumer")
	publish := func(rule string) { require.NoError(t, cc.Publish(ctx, key, migration.RuleGroup, rule)) }

	var calls, failed atomic.Int64
	var byName sync.Map
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var stopOnce sync.Once
	halt := func() { stopOnce.Do(func() { close(stop) }); wg.Wait() }
	defer halt()
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				s, err := call(ref)
				calls.Add(1)
				if err != nil {
					failed.Add(1)
					byName.Store("error: "+err.Error(), true)
					continue
				}
				byName.Store(strings.TrimSuffix(s, ": hello bob"), true)
			}
		}()
	}
	is := func(want migration.Step, app bool) func() bool {
		return func() bool { s, a, _ := Step(ref); return s == want && a == app }
	}

	publish("step: FORCE_APPLICATION")
	require.Eventually(t, is(migration.ForceApplication, true), 10*time.Second, 10*time.Millisecond)
	require.Len(t, Sides(ref), 1)
	require.Equal(t, "app", who(t, ref))

	publish("step: SIDEWAYS")
	require.Eventually(t, func() bool { return strings.Contains(logs.String(), "migration rule rejected") }, 10*time.Second, 10*time.Millisecond)
	require.True(t, is(migration.ForceApplication, true)(), "a bad rule keeps the step")
	require.Equal(t, "app", who(t, ref))

	publish("step: APPLICATION_FIRST\nthreshold: 5") // 1 application-level provider against 1: below
	require.Eventually(t, is(migration.ApplicationFirst, false), 10*time.Second, 10*time.Millisecond)
	require.Len(t, Sides(ref), 2)
	require.Equal(t, "iface", who(t, ref))

	publish("step: APPLICATION_FIRST")
	require.Eventually(t, is(migration.ApplicationFirst, true), 10*time.Second, 10*time.Millisecond)

	require.NoError(t, cc.Remove(ctx, key, migration.RuleGroup)) // back to the param's step
	require.Eventually(t, is(migration.ForceInterface, false), 10*time.Second, 10*time.Millisecond)
	require.Len(t, Sides(ref), 1)
	require.Equal(t, "iface", who(t, ref))

	halt()
	var seen []string
	byName.Range(func(k, _ any) bool { seen = append(seen, k.(string)); return true })
	require.Zero(t, failed.Load(), "failed calls: %v", seen)
	require.Greater(t, calls.Load(), int64(100))
	require.ElementsMatch(t, []string{"iface", "app"}, seen)
}

// TestMigrationRuleAtRefer: a rule already in force decides the first call.
func TestMigrationRuleAtRefer(t *testing.T) {
	z := newZKLevels(t, true)
	z.app(t)
	cc, err := configcenter.Open(z.centerURL())
	require.NoError(t, err)
	defer cc.Close()
	rule := "step: APPLICATION_FIRST\ninterfaces:\n  - serviceKey: " + z.iface + "\n    step: FORCE_INTERFACE\n"
	require.NoError(t, cc.Publish(ctx, migration.RuleKey("mig-consumer"), migration.RuleGroup, rule))
	p := z.consumer(t, quiet)
	ref := z.refer(t, p, "", nil)
	step, _, _ := Step(ref)
	require.Equal(t, migration.ForceInterface, step)
	require.Equal(t, "iface", who(t, ref))
	require.Zero(t, z.openedCount(ServiceDiscoveryScheme))
}

// TestApplicationLevelReadsRulesOfItsRegistry: a reference through
// service-discovery-registry://…?registry=zookeeper reads governance rules
// from the ZooKeeper under it, as an interface-level one does.
func TestApplicationLevelReadsRulesOfItsRegistry(t *testing.T) {
	require.Equal(t, "zookeeper://h:1?group=g", underlying(common.MustParse("service-discovery-registry://h:1?registry=zookeeper&group=g")).String())
	require.Equal(t, "nacos://h:1", underlying(common.MustParse("service-discovery-registry://h:1?registry=nacos")).String())
	require.Equal(t, "zookeeper://h:1", underlying(common.MustParse("zookeeper://h:1")).String())

	z := newZKLevels(t, false)
	z.app(t)
	cc, err := configcenter.Open(common.MustParse(fmt.Sprintf("zookeeper://%s?namespace=%s&group=%s&timeout=3000", z.addr, z.env.Group, z.env.Group)))
	require.NoError(t, err)
	defer cc.Close()
	// the config center Java derives from the registry: namespace and group = the registry's group
	require.NoError(t, cc.Publish(ctx, z.iface+ConditionRouterSuffix, "", "scope: service\nforce: true\nkey: "+z.iface+"\nconditions: ['=> host = 10.255.255.1']\n"))
	p := New(WithProtocol(injvm.Name, z.jvm), WithLogger(quiet), WithRegistryOpener(z.open))
	t.Cleanup(p.Destroy)
	ref := z.refer(t, p, ServiceDiscoveryScheme, map[string]string{common.CheckKey: "false"})
	require.Eventually(t, func() bool { _, err := call(ref); return err != nil }, 10*time.Second, 10*time.Millisecond,
		"the condition rule routes every call away")
	require.NoError(t, cc.Remove(ctx, z.iface+ConditionRouterSuffix, ""))
	require.Eventually(t, func() bool { return whoNow(ref) == "app" }, 10*time.Second, 10*time.Millisecond)
}
