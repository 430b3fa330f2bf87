package directory

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/configurator"
	"github.com/fleetrpc/fleet/protocol"
	"github.com/fleetrpc/fleet/router"
)

func TestInspectRulesAndExplain(t *testing.T) {
	p := &fakeProtocol{}
	reg := common.MustParse("zookeeper://127.0.0.1:2181")
	d := newDir(t, p, "", WithRegistryURL(reg), WithRouters(&testRouter{ports: map[int]bool{1: true, 2: true, 3: true, 4: true}}))
	require.Same(t, reg, d.RegistryURL())

	// Before any rule: the built-in router only, nothing removed.
	cs, rs := d.Rules()
	require.Empty(t, cs)
	require.Empty(t, rs)
	d.Notify(urls(prov("10.0.0.1", 1, ""), prov("10.0.0.1", 2, ""), prov("10.0.0.1", 3, ""), prov("10.0.0.1", 4, "")))
	ex, err := d.Explain(protocol.NewInvocation("sayHello"))
	require.NoError(t, err)
	require.Len(t, ex.Reached, 4)
	require.Len(t, ex.Steps, 1)

	// A registry rule, a config center's router and its configurator.
	routeURL := common.MustParse("route://0.0.0.0/" + svc + "?category=routers&router=" + testRouterType + "&ports=1,2,3")
	d.Notify(urls(routeURL, override("timeout=1")))
	dyn := &testRouter{url: common.MustParse("condition://0.0.0.0/" + svc + "?from=configcenter"), ports: map[int]bool{1: true, 2: true}}
	d.SetDynamicRouters(dyn)
	svcRule := configurator.FromURLs(urls(common.MustParse("override://0.0.0.0/"+svc+"?timeout=2")), "10.0.0.9", nil)
	d.SetDynamicConfigurators(nil, svcRule)

	cs, rs = d.Rules()
	require.Len(t, cs, 2)
	require.Equal(t, "1", cs[0].ParamOr("timeout", ""), "the registry's first")
	require.Equal(t, "2", cs[1].ParamOr("timeout", ""), "then the config center's")
	require.Len(t, rs, 2)
	routed := routeURL.WithProtocol(testRouterType).String() // the factory sees the router type as the scheme
	require.Equal(t, routed, rs[0].URL().String())
	require.Same(t, router.Router(dyn), rs[1])
	require.Len(t, d.Chain().Routers(), 3, "built-in, registry, config center")

	ex, err = d.Explain(protocol.NewInvocation("sayHello"))
	require.NoError(t, err)
	var reached []int
	for _, r := range ex.Reached {
		reached = append(reached, r.URL().Port())
	}
	require.Equal(t, []int{1, 2}, reached)
	byPort := map[int]string{}
	for _, inv := range d.Invokers() {
		if st, ok := ex.RemovedBy(inv); ok {
			byPort[inv.URL().Port()] = st.Rule
		}
	}
	require.Equal(t, map[int]string{4: routed, 3: dyn.url.String()}, byPort)
	require.Equal(t, "2", d.Invokers()[0].URL().ParamOr("timeout", ""))

	// Destroyed: the explanation fails as List does.
	d.Destroy()
	_, err = d.Explain(nil)
	require.Error(t, err)
}
