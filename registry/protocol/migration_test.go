package protocol

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/fleetrpc/fleet/cluster"
	"github.com/fleetrpc/fleet/common"
	rpc "github.com/fleetrpc/fleet/protocol"
	"github.com/fleetrpc/fleet/protocol/injvm"
	"github.com/fleetrpc/fleet/protocol/service"
	"github.com/fleetrpc/fleet/registry"
	"github.com/fleetrpc/fleet/registry/memory"
	"github.com/fleetrpc/fleet/registry/migration"
	_ "github.com/fleetrpc/fleet/registry/servicediscovery" // the service-discovery-registry scheme
)

// levels is a consumer Protocol whose application-level registry is a
// memory store of its own: memory://<store> is the interface level,
// service-discovery-registry://<store>?registry=memory opens the store
// app-<store>. It counts the registries opened per scheme.
type levels struct {
	store  string
	jvm    *injvm.Protocol
	prov   *Protocol
	opened sync.Map // scheme → *atomic.Int64
}

var storeSeq atomic.Int64

func newLevels(t testing.TB) *levels {
	t.Helper()
	l := &levels{store: fmt.Sprintf("mig-%d", storeSeq.Add(1)), jvm: injvm.New()}
	t.Cleanup(l.jvm.Destroy)
	l.prov = New(WithProtocol(injvm.Name, l.jvm), WithLogger(quiet))
	t.Cleanup(l.prov.Destroy)
	return l
}

func (l *levels) open(u *common.URL) (registry.Registry, error) {
	n, _ := l.opened.LoadOrStore(u.Protocol(), &atomic.Int64{})
	n.(*atomic.Int64).Add(1)
	if u.Protocol() == ServiceDiscoveryScheme {
		return memory.Open(common.MustParse("memory://app-" + u.Host())), nil
	}
	return memory.Open(u), nil
}

func (l *levels) openedCount(scheme string) int64 {
	n, ok := l.opened.Load(scheme)
	if !ok {
		return 0
	}
	return n.(*atomic.Int64).Load()
}

// export exports a provider named name on port into the interface level
// (app=false) or the application level.
func (l *levels) export(t testing.TB, name string, port int, app bool) rpc.Exporter {
	t.Helper()
	u := providerURL(port, map[string]string{common.ApplicationKey: "demo-provider"})
	svc, err := service.New(u, &greeter{name: name})
	require.NoError(t, err)
	store := l.store
	if app {
		store = "app-" + store
	}
	e, err := l.prov.Export(ctx, common.MustParse("memory://"+store+"?export="+u.Encoded()), svc)
	require.NoError(t, err)
	return e
}

// consumer returns a consumer Protocol opening registries through l.
func (l *levels) consumer(t *testing.T, opts ...Option) *Protocol {
	t.Helper()
	p := New(append([]Option{WithProtocol(injvm.Name, l.jvm), WithLogger(quiet), WithRegistryOpener(l.open), WithoutConfigCenter()}, opts...)...)
	t.Cleanup(p.Destroy)
	return p
}

func (l *levels) refer(p *Protocol, extra map[string]string) (rpc.Invoker, error) {
	q := map[string]string{
		common.InterfaceKey: iface, common.ApplicationKey: "demo-consumer", common.MethodsKey: "sayHello",
		common.SideKey: common.ConsumerSide, common.RegisterIPKey: "10.0.0.9",
	}
	reg := referURL(l.store, nil)
	for k, v := range extra {
		if k == RegistryTypeKey { // a registry param
			reg = reg.WithParam(k, v)
			continue
		}
		q[k] = v
	}
	return p.Refer(ctx, reg.WithParam(common.ReferKey, common.ToQueryString(q)))
}

// who is the set of providers answering 20 calls.
func who(t *testing.T, inv rpc.Invoker) string {
	t.Helper()
	return names(answerers(t, inv, 20))
}

// whoNow is who for Eventually: "" when a call fails (a provider gone
// before the registry's push says so).
func whoNow(inv rpc.Invoker) string {
	got := map[string]int{}
	for range 20 {
		s, err := call(inv)
		if err != nil {
			return ""
		}
		got[strings.TrimSuffix(s, ": hello bob")]++
	}
	return names(got)
}

func names(got map[string]int) string {
	var names []string
	for _, n := range []string{"iface", "app"} {
		if got[n] > 0 {
			names = append(names, n)
		}
	}
	return strings.Join(names, "+")
}

func TestMigrationSteps(t *testing.T) {
	tests := []struct {
		name         string
		params       map[string]string
		iface, app   bool   // providers on each level at refer time
		want         string // who answers
		wantStep     migration.Step
		sides        int
		appOpened    bool
		ifaceOpened  bool
		wantErr      string
		wantNoProvid bool
	}{
		{name: "default is APPLICATION_FIRST: application level wins", iface: true, app: true, want: "app",
			wantStep: migration.ApplicationFirst, sides: 2, appOpened: true, ifaceOpened: true},
		{name: "APPLICATION_FIRST without application-level providers", iface: true, want: "iface",
			wantStep: migration.ApplicationFirst, sides: 2, appOpened: true, ifaceOpened: true},
		{name: "APPLICATION_FIRST with application-level providers only", app: true, want: "app",
			wantStep: migration.ApplicationFirst, sides: 2, appOpened: true, ifaceOpened: true},
		{name: "threshold not reached", params: map[string]string{migration.ThresholdKey: "2"}, iface: true, app: true, want: "iface",
			wantStep: migration.ApplicationFirst, sides: 2, appOpened: true, ifaceOpened: true},
		{name: "FORCE_INTERFACE never opens the application level", params: map[string]string{migration.StepKey: "FORCE_INTERFACE"},
			iface: true, app: true, want: "iface", wantStep: migration.ForceInterface, sides: 1, ifaceOpened: true},
		{name: "FORCE_APPLICATION never subscribes the interface level", params: map[string]string{migration.StepKey: "FORCE_APPLICATION"},
			iface: true, app: true, want: "app", wantStep: migration.ForceApplication, sides: 1, appOpened: true},
		{name: "check=true fails when neither level has providers", wantNoProvid: true},
		{name: "check=false refers without providers", params: map[string]string{common.CheckKey: "false"},
			wantStep: migration.ApplicationFirst, sides: 2, appOpened: true, ifaceOpened: true},
		{name: "a step param that is not a step", params: map[string]string{migration.StepKey: "INTERFACE_FIRST"},
			wantErr: `param migration.step "INTERFACE_FIRST" is not a step`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := newLevels(t)
			if tt.iface {
				l.export(t, "iface", 1, false)
			}
			if tt.app {
				l.export(t, "app", 2, true)
			}
			p := l.consumer(t)
			ref, err := l.refer(p, tt.params)
			switch {
			case tt.wantNoProvid:
				require.ErrorIs(t, err, rpc.ErrNoProvider)
				require.ErrorContains(t, err, "No provider available")
				return
			case tt.wantErr != "":
				require.ErrorContains(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			defer ref.Destroy()
			step, _, ok := Step(ref)
			require.True(t, ok)
			require.Equal(t, tt.wantStep, step)
			require.Len(t, Sides(ref), tt.sides)
			require.Equal(t, tt.appOpened, l.openedCount(ServiceDiscoveryScheme) > 0, "application level opened")
			require.Equal(t, tt.ifaceOpened, l.openedCount("memory") > 0, "interface level opened")
			if tt.want != "" {
				require.Equal(t, tt.want, who(t, ref))
				// tools find the directory calls go to
				dir := cluster.DirectoryOf(ref)
				require.NotNil(t, dir)
				require.Len(t, dir.(interface{ Invokers() []rpc.Invoker }).Invokers(), 1)
			}
		})
	}
}

// TestApplicationFirstFollowsProviders: APPLICATION_FIRST decides again at
// every change of either level's providers.
func TestApplicationFirstFollowsProviders(t *testing.T) {
	l := newLevels(t)
	l.export(t, "iface", 1, false)
	p := l.consumer(t)
	ref, err := l.refer(p, nil)
	require.NoError(t, err)
	defer ref.Destroy()
	require.Equal(t, "iface", who(t, ref))
	_, app, _ := Step(ref)
	require.False(t, app)

	e := l.export(t, "app", 2, true)
	require.Eventually(t, func() bool { return whoNow(ref) == "app" }, 5*time.Second, 5*time.Millisecond)
	_, app, _ = Step(ref)
	require.True(t, app)

	e.Unexport()
	require.Eventually(t, func() bool { return whoNow(ref) == "iface" }, 5*time.Second, 5*time.Millisecond)
}

func TestMigrationProportion(t *testing.T) {
	l := newLevels(t)
	l.export(t, "iface", 1, false)
	l.export(t, "app", 2, true)
	p := l.consumer(t)
	ref, err := l.refer(p, map[string]string{migration.PromotionKey: "50"})
	require.NoError(t, err)
	defer ref.Destroy()
	got := answerers(t, ref, 400)
	// 50% each way: far from 0 and from 400 (the chance of fewer than 100
	// on one side is below 1e-20).
	require.Greater(t, got["app"], 100)
	require.Greater(t, got["iface"], 100)
}

// TestMigrationUnavailableApplicationLevel: a registry whose application
// level cannot be opened (the memory registry through registry.Open)
// refers interface-level only, silently.
func TestMigrationUnavailableApplicationLevel(t *testing.T) {
	l := newLevels(t)
	l.export(t, "iface", 1, false)
	p := New(WithProtocol(injvm.Name, l.jvm), WithLogger(quiet), WithoutConfigCenter())
	defer p.Destroy()
	ref, err := l.refer(p, nil)
	require.NoError(t, err)
	defer ref.Destroy()
	require.Equal(t, "iface", who(t, ref))
	require.Len(t, Sides(ref), 1)

	// FORCE_APPLICATION cannot be met: Refer fails, naming the cause.
	_, err = l.refer(p, map[string]string{migration.StepKey: "FORCE_APPLICATION"})
	require.ErrorContains(t, err, "service-discovery-registry")
}

// TestMigrationOff: no migration through WithRegistry, registry-type=interface
// or a service-discovery-registry URL.
func TestMigrationOff(t *testing.T) {
	l := newLevels(t)
	l.export(t, "iface", 1, false)
	l.export(t, "app", 2, true)

	p := l.consumer(t)
	q := common.ToQueryString(map[string]string{
		common.InterfaceKey: iface, common.ApplicationKey: "demo-consumer", common.MethodsKey: "sayHello", common.SideKey: common.ConsumerSide,
	})
	ref, err := p.Refer(ctx, common.MustParse("memory://"+l.store+"?registry-type=interface&refer="+common.Encode(q)))
	require.NoError(t, err)
	defer ref.Destroy()
	_, _, ok := Step(ref)
	require.False(t, ok)
	require.Nil(t, Sides(ref))
	require.Equal(t, "iface", who(t, ref))
	require.Zero(t, l.openedCount(ServiceDiscoveryScheme))

	// service-discovery-registry://: the application level alone.
	ref2, err := p.Refer(ctx, common.MustParse(ServiceDiscoveryScheme+"://"+l.store+"?registry=memory&refer="+common.Encode(q)))
	require.NoError(t, err)
	defer ref2.Destroy()
	_, _, ok = Step(ref2)
	require.False(t, ok)
	require.Equal(t, "app", who(t, ref2))

	single := New(WithProtocol(injvm.Name, l.jvm), WithLogger(quiet), WithRegistry(memory.Open(common.MustParse("memory://"+l.store))), WithoutConfigCenter())
	defer single.Destroy()
	ref3, err := single.Refer(ctx, common.MustParse("memory://"+l.store+"?refer="+common.Encode(q)))
	require.NoError(t, err)
	defer ref3.Destroy()
	_, _, ok = Step(ref3)
	require.False(t, ok)
}

// TestMigrationDestroy: Destroy closes both levels (no subscription left),
// and the Protocol's Destroy destroys references still alive.
func TestMigrationDestroy(t *testing.T) {
	l := newLevels(t)
	l.export(t, "iface", 1, false)
	var regs []*countingRegistry
	var mu sync.Mutex
	p := l.consumer(t, WithRegistryOpener(func(u *common.URL) (registry.Registry, error) {
		r, err := l.open(u)
		c := newCounting(r)
		mu.Lock()
		regs = append(regs, c)
		mu.Unlock()
		return c, err
	}))
	ref, err := l.refer(p, nil)
	require.NoError(t, err)
	require.Len(t, regs, 2)
	for _, r := range regs {
		require.Equal(t, 1, r.subscribed)
		require.Len(t, r.registeredURLs(), 1)
	}
	ref.Destroy()
	ref.Destroy() // idempotent
	for _, r := range regs {
		require.Equal(t, 1, r.unsubscribed)
		require.Empty(t, r.registeredURLs())
	}
	res := ref.Invoke(ctx, rpc.NewInvocation("sayHello", "bob"))
	require.ErrorIs(t, res.Error(), ErrDestroyed)
	require.False(t, ref.IsAvailable())

	ref2, err := l.refer(p, nil)
	require.NoError(t, err)
	p.Destroy()
	require.False(t, ref2.IsAvailable())
	require.Len(t, regs, 2, "the registries are the Protocol's, shared by its references")
	for _, r := range regs {
		require.Equal(t, 2, r.unsubscribed)
	}
}

// TestExportSharedByTwoLevels: one invoker exported through two registries
// (register-mode all) is exported once by its protocol; it stays served
// until both exports are withdrawn.
func TestExportSharedByTwoLevels(t *testing.T) {
	l := newLevels(t)
	u := providerURL(7, nil)
	svc, err := service.New(u, &greeter{name: "both"})
	require.NoError(t, err)
	p := New(WithProtocol(injvm.Name, l.jvm), WithLogger(quiet), WithRegistryOpener(l.open), WithoutConfigCenter())
	defer p.Destroy()
	e1, err := p.Export(ctx, common.MustParse("memory://"+l.store+"?export="+u.Encoded()), svc)
	require.NoError(t, err)
	e2, err := p.Export(ctx, common.MustParse(ServiceDiscoveryScheme+"://"+l.store+"?registry=memory&export="+u.Encoded()), svc)
	require.NoError(t, err, "injvm refuses a second export at one address: the export is shared")

	c := l.consumer(t)
	ref, err := l.refer(c, map[string]string{common.CheckKey: "false"})
	require.NoError(t, err)
	defer ref.Destroy()
	step, _, _ := Step(ref)
	require.Equal(t, migration.ApplicationFirst, step)
	require.Len(t, Sides(ref), 2)
	s, err := call(ref)
	require.NoError(t, err)
	require.Equal(t, "both: hello bob", s)

	e1.Unexport()
	e1.Unexport()
	s, err = call(Sides(ref)[1]) // the application level still calls it
	require.NoError(t, err)
	require.Equal(t, "both: hello bob", s)
	_, err = l.jvm.Export(svc)
	require.ErrorContains(t, err, "already exported")
	e2.Unexport()
	_, err = l.jvm.Export(svc) // the protocol no longer holds it
	require.NoError(t, err)
}

// failingSubscribe is a registry whose Subscribe fails.
type failingSubscribe struct{ registry.Registry }

func (failingSubscribe) Subscribe(context.Context, *common.URL, registry.NotifyListener) error {
	return errors.New("session lost")
}

// TestApplicationLevelFailureLogged: an application level that cannot be
// opened is a debug line (the registry does not support it); one that
// fails is a warning; both leave the reference interface-level.
func TestApplicationLevelFailureLogged(t *testing.T) {
	for _, tt := range []struct {
		name    string
		open    func(u *common.URL) (registry.Registry, error)
		level   string
		message string
	}{
		{"unsupported", func(*common.URL) (registry.Registry, error) { return nil, errors.ErrUnsupported },
			"level=DEBUG", "application-level discovery unavailable"},
		{"failing", func(u *common.URL) (registry.Registry, error) {
			return failingSubscribe{memory.Open(common.MustParse("memory://app-" + u.Host()))}, nil
		}, "level=WARN", "application-level side not referred"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			l := newLevels(t)
			l.export(t, "iface", 1, false)
			logs := &logBuffer{}
			p := l.consumer(t, WithLogger(slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))),
				WithRegistryOpener(func(u *common.URL) (registry.Registry, error) {
					if u.Protocol() == ServiceDiscoveryScheme {
						return tt.open(u)
					}
					return l.open(u)
				}))
			ref, err := l.refer(p, nil)
			require.NoError(t, err)
			defer ref.Destroy()
			require.Equal(t, "iface", who(t, ref))
			require.Len(t, Sides(ref), 1)
			var line string
			for _, s := range strings.Split(logs.String(), "\n") {
				if strings.Contains(s, tt.message) {
					line = s
				}
			}
			require.Contains(t, line, tt.level, logs.String())
		})
	}
}
