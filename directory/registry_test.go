package directory

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/configurator"
	"github.com/fleetrpc/fleet/protocol"
	"github.com/fleetrpc/fleet/router"
)

func TestNewRegistryNeedsAService(t *testing.T) {
	_, err := NewRegistry(common.MustParse("dubbo://10.0.0.9"))
	require.ErrorContains(t, err, "service key is empty")
}

func TestBeforeFirstPushListIsEmpty(t *testing.T) {
	d := newDir(t, &fakeProtocol{}, "")
	require.Empty(t, addrs(t, d))
	require.False(t, d.IsAvailable())
	require.Same(t, d.ConsumerURL(), d.URL())
}

func TestProviderRules(t *testing.T) {
	tests := []struct {
		name      string
		consumer  string
		push      []*common.URL
		want      []string // addresses listed
		refers    int
		wantParam map[string]string // params of the first invoker URL
	}{
		{"plain", "", urls(prov("10.0.0.1", 1, ""), prov("10.0.0.2", 1, "")), []string{"10.0.0.1:1", "10.0.0.2:1"}, 2,
			map[string]string{"check": "false", "side": "consumer", "remote.application": "p", "application": "c"}},
		{"sorted by address", "", urls(prov("10.0.0.2", 1, ""), prov("10.0.0.1", 2, ""), prov("10.0.0.1", 1, "")),
			[]string{"10.0.0.1:1", "10.0.0.1:2", "10.0.0.2:1"}, 3, nil},
		{"consumer protocol filter", "&protocol=rest",
			urls(prov("10.0.0.1", 1, ""), common.MustParse("rest://10.0.0.2:1/"+svc+"?interface="+svc)),
			[]string{"10.0.0.2:1"}, 1, nil},
		{"consumer protocol list", "&protocol=rest,dubbo",
			urls(prov("10.0.0.1", 1, ""), common.MustParse("rest://10.0.0.2:1/"+svc+"?interface="+svc+"&methods=sayHello")),
			[]string{"10.0.0.1:1", "10.0.0.2:1"}, 2, nil},
		{"unsupported protocol skipped", "",
			urls(prov("10.0.0.1", 1, ""), common.MustParse("grpc-nope://10.0.0.2:1/"+svc+"?interface="+svc)),
			[]string{"10.0.0.1:1"}, 1, nil},
		{"empty in a longer list skipped", "", urls(prov("10.0.0.1", 1, ""), emptyProviders()), []string{"10.0.0.1:1"}, 1, nil},
		{"dedupe by merged url: timestamps differ", "",
			urls(prov("10.0.0.1", 1, "&timestamp=1"), prov("10.0.0.1", 1, "&timestamp=2")), []string{"10.0.0.1:1"}, 1, nil},
		{"dedupe by merged url: consumer overrides the difference", "&timeout=5",
			urls(prov("10.0.0.1", 1, "&timeout=1"), prov("10.0.0.1", 1, "&timeout=2")), []string{"10.0.0.1:1"}, 1,
			map[string]string{"timeout": "5"}},
		{"disabled=true", "", urls(prov("10.0.0.1", 1, "&disabled=true"), prov("10.0.0.2", 1, "")), []string{"10.0.0.2:1"}, 1, nil},
		{"disabled=false beats enabled=false", "", urls(prov("10.0.0.1", 1, "&disabled=false&enabled=false")), []string{"10.0.0.1:1"}, 1, nil},
		{"enabled=false", "", urls(prov("10.0.0.1", 1, "&enabled=false"), prov("10.0.0.2", 1, "")), []string{"10.0.0.2:1"}, 1, nil},
		{"unknown category ignored", "",
			urls(prov("10.0.0.1", 1, ""), prov("10.0.0.2", 1, "&category=consumers")), []string{"10.0.0.1:1"}, 1, nil},
		{"compatible_config ignored", "",
			urls(prov("10.0.0.1", 1, ""), prov("10.0.0.2", 1, "&compatible_config=true")), []string{"10.0.0.1:1"}, 1, nil},
		{"provider url under configurators category is no provider", "",
			urls(prov("10.0.0.1", 1, "&category=configurators&timeout=3")), nil, 0, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := &fakeProtocol{}
			d := newDir(t, p, tt.consumer)
			d.Notify(tt.push)
			require.Equal(t, tt.want, nilIfEmpty(addrs(t, d)))
			refers, _ := p.counts()
			require.Equal(t, tt.refers, refers)
			if tt.wantParam != nil {
				u := d.Invokers()[0].URL()
				for k, v := range tt.wantParam {
					require.Equal(t, v, u.ParamOr(k, ""), "param %s of %s", k, u)
				}
			}
		})
	}
}

func nilIfEmpty(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return s
}

func TestReuseReferDestroy(t *testing.T) {
	p := &fakeProtocol{}
	d := newDir(t, p, "")
	a, b, c := prov("10.0.0.1", 1, ""), prov("10.0.0.2", 1, ""), prov("10.0.0.3", 1, "")
	d.Notify(urls(a, b))
	first := d.Invokers()
	p.reset()

	d.Notify(urls(b, c, common.MustParse(a.String()))) // a parsed again: equal, new pointer
	require.Equal(t, []string{"10.0.0.1:1", "10.0.0.2:1", "10.0.0.3:1"}, addrs(t, d))
	refers, destroys := p.counts()
	require.Equal(t, 1, refers, "only c is referred")
	require.Equal(t, 0, destroys)
	require.Same(t, first[0], d.Invokers()[0], "a keeps its invoker")
	require.Same(t, first[1], d.Invokers()[1], "b keeps its invoker")

	p.reset()
	d.Notify(urls(c, common.MustParse(b.String()+"&timestamp=99")))
	refers, destroys = p.counts()
	require.Equal(t, 1, refers, "a URL with a timestamp differs from one without")
	require.Equal(t, 2, destroys, "a and the old b")
	p.reset()
	d.Notify(urls(c, common.MustParse(b.String()+"&timestamp=100")))
	refers, destroys = p.counts()
	require.Equal(t, 0, refers, "a new timestamp is the same provider")
	require.Equal(t, 0, destroys)
	require.Equal(t, []string{"10.0.0.2:1", "10.0.0.3:1"}, addrs(t, d))
}

func TestDestroyAfterSwap(t *testing.T) {
	p := &fakeProtocol{}
	d := newDir(t, p, "")
	var checked atomic.Int32
	p.onDestroy = func(f *fakeInvoker) {
		for _, inv := range d.Invokers() {
			assert.NotSame(t, f, inv, "a destroyed invoker must not be listed")
		}
		checked.Add(1)
	}
	d.Notify(urls(prov("10.0.0.1", 1, ""), prov("10.0.0.2", 1, "")))
	d.Notify(urls(prov("10.0.0.2", 1, "")))
	require.Equal(t, int32(1), checked.Load())
	d.Notify(urls(emptyProviders()))
	require.Equal(t, int32(2), checked.Load())
}

func TestForbiddenAndRecovery(t *testing.T) {
	p := &fakeProtocol{}
	d := newDir(t, p, "&dubbo=2.0.2", WithRegistryURL(common.MustParse("memory://reg-a:2181")))
	d.Notify(urls(prov("10.0.0.1", 1, ""), prov("10.0.0.2", 1, "")))
	require.True(t, d.IsAvailable())

	d.Notify(urls(emptyProviders()))
	_, err := d.List(bg, protocol.NewInvocation("sayHello"))
	require.ErrorIs(t, err, protocol.ErrForbidden)
	require.ErrorContains(t, err, "No provider available from registry reg-a:2181 for service "+svc+
		" on consumer 10.0.0.9 use dubbo version 2.0.2, please check status of providers(disabled, not registered or in blacklist).")
	_, destroys := p.counts()
	require.Equal(t, 2, destroys, "forbidden destroys every invoker")
	require.False(t, d.IsAvailable())

	// A configurators push while forbidden changes nothing: there is no cache.
	d.Notify(urls(override("timeout=5")))
	_, err = d.List(bg, protocol.NewInvocation("sayHello"))
	require.ErrorIs(t, err, protocol.ErrForbidden)

	d.Notify(urls(prov("10.0.0.3", 1, "")))
	require.Equal(t, []string{"10.0.0.3:1"}, addrs(t, d))
	require.Equal(t, "5", d.Invokers()[0].URL().ParamOr("timeout", ""), "the override applies on recovery")
	require.True(t, d.IsAvailable())
}

func TestAllRejectedKeepsOldInvokers(t *testing.T) {
	p := &fakeProtocol{refuse: map[string]bool{"10.0.0.5:1": true}}
	d := newDir(t, p, "")
	d.Notify(urls(prov("10.0.0.1", 1, "")))
	p.reset()
	d.Notify(urls(prov("10.0.0.2", 1, "&disabled=true"), prov("10.0.0.5", 1, ""),
		common.MustParse("grpc-nope://10.0.0.6:1/"+svc)))
	require.Equal(t, []string{"10.0.0.1:1"}, addrs(t, d))
	_, destroys := p.counts()
	require.Zero(t, destroys)
	// And the next good push replaces them.
	d.Notify(urls(prov("10.0.0.3", 1, "")))
	require.Equal(t, []string{"10.0.0.3:1"}, addrs(t, d))
	_, destroys = p.counts()
	require.Equal(t, 1, destroys)
}

func TestConfiguratorsApplyAndRevert(t *testing.T) {
	p := &fakeProtocol{}
	d := newDir(t, p, "&timeout=1000")
	a, b := prov("10.0.0.1", 1, ""), prov("10.0.0.2", 2, "")
	d.Notify(urls(a, b))
	timeouts := func() []string {
		var out []string
		for _, inv := range d.Invokers() {
			out = append(out, inv.URL().ParamOr("timeout", ""))
		}
		return out
	}
	require.Equal(t, []string{"1000", "1000"}, timeouts())

	steps := []struct {
		name    string
		push    []*common.URL
		want    []string
		refers  int
		destroy int
		dirURL  string // timeout of d.URL()
	}{
		{"override all", urls(override("timeout=3000")), []string{"3000", "3000"}, 2, 2, "3000"},
		{"same override again: nothing changes", urls(override("timeout=3000")), []string{"3000", "3000"}, 0, 0, "3000"},
		{"host-specific override wins for its provider", urls(override("timeout=3000"),
			common.MustParse("override://10.0.0.2:2/"+svc+"?category=configurators&timeout=4000")), []string{"3000", "4000"}, 1, 1, "3000"},
		{"absent does not overwrite", urls(common.MustParse("absent://0.0.0.0/" + svc + "?category=configurators&timeout=9&weight=5")),
			[]string{"1000", "1000"}, 2, 2, "1000"},
		{"removed: reverted", urls(emptyConfigurators()), []string{"1000", "1000"}, 2, 2, "1000"},
		{"disabled by override", urls(override("disabled=true")), []string{"1000", "1000"}, 0, 0, "1000"},
	}
	for _, s := range steps {
		p.reset()
		d.Notify(s.push)
		require.Equal(t, s.want, timeouts(), s.name)
		refers, destroys := p.counts()
		require.Equal(t, s.refers, refers, s.name)
		if s.name == "disabled by override" {
			// Every provider rejected: the old invokers stay.
			require.Equal(t, []string{"1000", "1000"}, timeouts())
			continue
		}
		require.Equal(t, s.destroy, destroys, s.name)
		require.Equal(t, s.dirURL, d.URL().ParamOr("timeout", ""), s.name)
	}
}

func TestDisableOneProviderByOverride(t *testing.T) {
	p := &fakeProtocol{}
	d := newDir(t, p, "")
	d.Notify(urls(prov("10.0.0.1", 1, ""), prov("10.0.0.2", 2, "")))
	d.Notify(urls(common.MustParse("override://10.0.0.2:2/" + svc + "?category=configurators&disabled=true")))
	require.Equal(t, []string{"10.0.0.1:1"}, addrs(t, d))
	d.Notify(urls(common.MustParse("override://10.0.0.2:2/" + svc + "?category=configurators&enabled=false")))
	require.Equal(t, []string{"10.0.0.1:1", "10.0.0.2:2"}, addrs(t, d), "enabled is stripped from an override's params")
}

func TestEmptyPushReusesCache(t *testing.T) {
	p := &fakeProtocol{}
	d := newDir(t, p, "")
	// An empty providers list before any provider: nothing happens.
	d.Notify(nil)
	require.Empty(t, addrs(t, d))
	d.Notify(urls(prov("10.0.0.1", 1, "")))
	p.reset()
	// A routers push (empty providers list) keeps the providers.
	d.Notify(urls(common.MustParse("empty://10.0.0.9/" + svc + "?category=routers")))
	require.Equal(t, []string{"10.0.0.1:1"}, addrs(t, d))
	refers, destroys := p.counts()
	require.Zero(t, refers+destroys)
}

func TestDirectoryURLCarriesProviderParams(t *testing.T) {
	p := &fakeProtocol{}
	d := newDir(t, p, "&timeout=1000")
	d.Notify(urls(prov("10.0.0.1", 1, "&mock=true&dubbo.tag=gray&timeout=7&weight=1"), prov("10.0.0.2", 1, "&weight=2&warmup=3")))
	u := d.URL()
	require.Equal(t, "1000", u.ParamOr("timeout", ""), "the consumer's own value wins")
	require.Equal(t, "true", u.ParamOr("mock", ""))
	require.Equal(t, "1", u.ParamOr("weight", ""), "the first provider's value")
	require.Equal(t, "3", u.ParamOr("warmup", ""))
	require.Equal(t, "p", u.ParamOr("remote.application", ""))
	require.Equal(t, "sayHello", u.ParamOr("methods", ""))
	require.False(t, u.Has("dubbo.tag"))
	d.Notify(urls(override("retries=7")))
	require.Equal(t, "7", d.URL().ParamOr("retries", ""))
}

// testRouter keeps the invokers whose port is in ports.
type testRouter struct {
	url   *common.URL
	ports map[int]bool
}

func (r *testRouter) URL() *common.URL { return r.url }
func (r *testRouter) Priority() int    { return 0 }
func (r *testRouter) Route(invokers []protocol.Invoker, _ *common.URL, _ protocol.Invocation) ([]protocol.Invoker, error) {
	var out []protocol.Invoker
	for _, inv := range invokers {
		if r.ports[inv.URL().Port()] {
			out = append(out, inv)
		}
	}
	return out, nil
}

const testRouterType = "directorytest"

func init() {
	router.Register(testRouterType, func(u *common.URL) (router.Router, error) {
		r := &testRouter{url: u, ports: map[int]bool{}}
		for _, p := range u.ParamList("ports") {
			n := 0
			for _, c := range p {
				n = n*10 + int(c-'0')
			}
			r.ports[n] = true
		}
		return r, nil
	})
}

func TestRoutersThroughFactories(t *testing.T) {
	p := &fakeProtocol{}
	d := newDir(t, p, "")
	d.Notify(urls(prov("10.0.0.1", 1, ""), prov("10.0.0.1", 2, ""), prov("10.0.0.1", 3, "")))
	route := func(q string) *common.URL {
		return common.MustParse("route://0.0.0.0/" + svc + "?category=routers&" + q)
	}
	d.Notify(urls(route("router="+testRouterType+"&ports=1,3"), route("router=nope"), route("")))
	require.Equal(t, []string{"10.0.0.1:1", "10.0.0.1:3"}, addrs(t, d))
	d.Notify(urls(prov("10.0.0.1", 1, ""), prov("10.0.0.1", 2, "")))
	require.Equal(t, []string{"10.0.0.1:1"}, addrs(t, d), "the chain follows the providers")
	d.Notify(urls(common.MustParse("empty://10.0.0.9/" + svc + "?category=routers")))
	require.Equal(t, []string{"10.0.0.1:1", "10.0.0.1:2"}, addrs(t, d), "empty routers removes them")

	// A built-in router applies from the start.
	d2 := newDir(t, p, "", WithRouters(&testRouter{ports: map[int]bool{2: true}}))
	d2.Notify(urls(prov("10.0.0.1", 1, ""), prov("10.0.0.1", 2, "")))
	require.Equal(t, []string{"10.0.0.1:2"}, addrs(t, d2))
}

func TestDestroy(t *testing.T) {
	p := &fakeProtocol{}
	var hooks int
	d := newDir(t, p, "", WithOnDestroy(func() { hooks++ }))
	d.Notify(urls(prov("10.0.0.1", 1, ""), prov("10.0.0.2", 1, "")))
	d.Destroy()
	d.Destroy()
	require.Equal(t, 1, hooks)
	_, destroys := p.counts()
	require.Equal(t, 2, destroys)
	_, err := d.List(bg, protocol.NewInvocation("sayHello"))
	require.ErrorContains(t, err, "Directory already destroyed .url: ")
	require.ErrorIs(t, err, protocol.ErrNoProvider)
	require.False(t, d.IsAvailable())
	d.Notify(urls(prov("10.0.0.3", 1, "")))
	refers, _ := p.counts()
	require.Equal(t, 2, refers, "a notify after destroy is ignored")
}

func TestListDoesNotAllocate(t *testing.T) {
	p := &fakeProtocol{}
	d := newDir(t, p, "")
	var list []*common.URL
	for i := 1; i <= 50; i++ {
		list = append(list, prov("10.0.0.1", i, "&methods=sayHello,getXXX1,getXXX1.MORGAN"))
	}
	d.Notify(list)
	for _, inv := range []protocol.Invocation{
		protocol.NewInvocation("sayHello", "x"),
		protocol.NewInvocation("getXXX1", "MORGAN"),
		protocol.NewInvocation("getXXX1", 42),
		protocol.NewInvocation("getXXX1", color(1)),
		protocol.NewInvocation("getXXX1", stringEnum("MORGAN")),
		protocol.NewInvocation("other"),
		protocol.NewGenericInvocation("getXXX1", []string{"java.lang.String"}, []any{"MORGAN"}),
	} {
		allocs := testing.AllocsPerRun(100, func() { _, _ = d.List(bg, inv) })
		require.Zero(t, allocs, inv.MethodName())
	}
}

func TestConcurrentListDuringNotifications(t *testing.T) {
	p := &fakeProtocol{}
	d := newDir(t, p, "&methods=sayHello")
	ctx, cancel := context.WithCancel(bg)
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			inv := protocol.NewInvocation("sayHello", "x")
			for ctx.Err() == nil {
				list, err := d.List(ctx, inv)
				if err != nil {
					assert.ErrorIs(t, err, protocol.ErrForbidden)
					continue
				}
				for _, i := range list {
					_ = i.URL().Address()
				}
				_ = d.URL()
				_ = d.IsAvailable()
			}
		}()
	}
	for i := 0; i < 300; i++ {
		var list []*common.URL
		for j := 0; j < 1+i%17; j++ {
			list = append(list, prov("10.0.1."+itoa(j), 1+i%3, ""))
		}
		switch i % 10 {
		case 3:
			d.Notify(urls(override("timeout=" + itoa(i))))
		case 7:
			d.Notify(urls(emptyProviders()))
		default:
			d.Notify(list)
		}
	}
	cancel()
	wg.Wait()
	refers, destroys := p.counts()
	d.Destroy()
	_, afterDestroy := p.counts()
	require.Equal(t, refers, afterDestroy, "every invoker referred is destroyed exactly once (%d destroyed before Destroy)", destroys)
}

func TestEmptyProtection(t *testing.T) {
	p := &fakeProtocol{}
	d := newDir(t, p, "", WithEmptyProtection(true))
	d.Notify(urls(emptyProviders()))
	_, err := d.List(bg, protocol.NewInvocation("sayHello"))
	require.ErrorIs(t, err, protocol.ErrForbidden, "nothing to protect yet")
	d.Notify(urls(prov("10.0.0.1", 1, "")))
	d.Notify(urls(emptyProviders()))
	require.Equal(t, []string{"10.0.0.1:1"}, addrs(t, d))
	_, destroys := p.counts()
	require.Zero(t, destroys)
}

func TestDynamicConfiguratorsApplyAfterRegistryOnes(t *testing.T) {
	p := &fakeProtocol{}
	d := newDir(t, p, "")
	d.Notify(urls(prov("10.0.0.1", 1, ""), override("timeout=1&retries=1")))
	d.Notify(urls(override("timeout=1&retries=1")))
	require.Equal(t, "1", d.Invokers()[0].URL().ParamOr("timeout", ""))
	svcRule := configurator.FromURLs(urls(common.MustParse("override://0.0.0.0/"+svc+"?timeout=2")), "10.0.0.9", nil)
	appRule := configurator.FromURLs(urls(common.MustParse("override://0.0.0.0/"+svc+"?timeout=3&retries=3")), "10.0.0.9", nil)
	d.SetDynamicConfigurators(appRule, svcRule)
	u := d.Invokers()[0].URL()
	require.Equal(t, "2", u.ParamOr("timeout", ""), "service level last")
	require.Equal(t, "3", u.ParamOr("retries", ""), "application level after the registry's")
	require.Equal(t, "2", d.URL().ParamOr("timeout", ""))
	d.SetDynamicConfigurators(nil, nil)
	require.Equal(t, "1", d.Invokers()[0].URL().ParamOr("timeout", ""), "reverted")
}
