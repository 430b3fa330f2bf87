package directory

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/protocol"
)

type color int

func (c color) EnumName() string { return [...]string{"RED", "MORGAN"}[c] }

type stringEnum string

func TestPerMethodMap(t *testing.T) {
	withMethods := func(port int, methods string) *common.URL {
		return prov("10.0.0.1", port, "").WithParam(common.MethodsKey, methods)
	}
	generic := func(method string, args ...any) protocol.Invocation {
		return protocol.NewGenericInvocation(method, nil, args)
	}
	tests := []struct {
		name      string
		providers []*common.URL
		inv       protocol.Invocation
		want      []string
	}{
		{"method listed by one", urls(withMethods(1, "getXXX1"), withMethods(2, "getXXX1,getXXX2")),
			protocol.NewInvocation("getXXX2"), []string{"10.0.0.1:2"}},
		{"method listed by both", urls(withMethods(1, "getXXX1"), withMethods(2, "getXXX1,getXXX2")),
			protocol.NewInvocation("getXXX1"), []string{"10.0.0.1:1", "10.0.0.1:2"}},
		{"unlisted method: every invoker", urls(withMethods(1, "getXXX1"), withMethods(2, "getXXX2")),
			protocol.NewInvocation("other"), []string{"10.0.0.1:1", "10.0.0.1:2"}},
		{"first argument string, case-sensitive",
			urls(withMethods(1, "getXXX1.napoli"), withMethods(2, "getXXX1.MORGAN"), withMethods(3, "getXXX1.morgan")),
			protocol.NewInvocation("getXXX1", "MORGAN"), []string{"10.0.0.1:2"}},
		{"first argument enum",
			urls(withMethods(1, "getXXX1.napoli"), withMethods(2, "getXXX1.MORGAN")),
			protocol.NewInvocation("getXXX1", color(1)), []string{"10.0.0.1:2"}},
		{"first argument string kind",
			urls(withMethods(1, "getXXX1.napoli"), withMethods(2, "getXXX1.MORGAN")),
			protocol.NewInvocation("getXXX1", stringEnum("napoli")), []string{"10.0.0.1:1"}},
		{"first argument without entry falls back to the method",
			urls(withMethods(1, "getXXX1.napoli"), withMethods(2, "getXXX1")),
			protocol.NewInvocation("getXXX1", "other"), []string{"10.0.0.1:2"}},
		{"first argument without entry nor method: every invoker",
			urls(withMethods(1, "getXXX1.napoli"), withMethods(2, "getXXX2")),
			protocol.NewInvocation("getXXX1", "other"), []string{"10.0.0.1:1", "10.0.0.1:2"}},
		{"non-string first argument ignored",
			urls(withMethods(1, "getXXX1.1"), withMethods(2, "getXXX1")),
			protocol.NewInvocation("getXXX1", 1), []string{"10.0.0.1:2"}},
		{"generic call uses the real method and arguments",
			urls(withMethods(1, "getXXX1.napoli"), withMethods(2, "getXXX1.MORGAN")),
			generic("getXXX1", "MORGAN"), []string{"10.0.0.1:2"}},
		{"star and blanks ignored in the list",
			urls(withMethods(1, "*, getXXX1 ,"), withMethods(2, "getXXX2")),
			protocol.NewInvocation("getXXX1"), []string{"10.0.0.1:1"}},
		{"no methods param: every invoker", urls(prov("10.0.0.1", 1, "").WithoutParams(common.MethodsKey), withMethods(2, "getXXX2")),
			protocol.NewInvocation("getXXX3"), []string{"10.0.0.1:1", "10.0.0.1:2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := newDir(t, &fakeProtocol{}, "&methods=getXXX1,getXXX2")
			d.Notify(tt.providers)
			require.Equal(t, tt.want, listAddrs(t, d, tt.inv))
		})
	}
}

// groupJoin stands for a cluster: it joins a group's directory into an
// invoker that remembers it.
type groupInvoker struct{ dir Directory }

func (g *groupInvoker) URL() *common.URL  { return g.dir.URL() }
func (g *groupInvoker) IsAvailable() bool { return g.dir.IsAvailable() }
func (g *groupInvoker) Destroy()          { g.dir.Destroy() }
func (g *groupInvoker) Invoke(ctx context.Context, inv protocol.Invocation) protocol.Result {
	list, _ := g.dir.List(ctx, inv)
	return list[0].Invoke(ctx, inv)
}

func TestMultiGroup(t *testing.T) {
	join := WithGroupCluster(func(d Directory) protocol.Invoker { return &groupInvoker{dir: d} })
	inGroup := func(port int, g string) *common.URL {
		return prov("10.0.0.1", port, "&group="+g)
	}
	for _, group := range []string{"*", "a,b"} {
		t.Run(group, func(t *testing.T) {
			p := &fakeProtocol{}
			d := newDir(t, p, "&group="+group, join, WithRouters(&testRouter{ports: map[int]bool{}}))
			d.Notify(urls(inGroup(1, "a"), inGroup(2, "b"), inGroup(3, "a")))
			list, err := d.List(bg, protocol.NewInvocation("sayHello"))
			require.NoError(t, err)
			require.Len(t, list, 2, "one invoker per group, routers bypassed")
			byGroup := map[string][]string{}
			for _, inv := range list {
				gi := inv.(*groupInvoker)
				members, err := gi.dir.List(bg, protocol.NewInvocation("sayHello"))
				require.NoError(t, err)
				for _, m := range members {
					byGroup[inv.URL().Group()] = append(byGroup[inv.URL().Group()], m.URL().Address())
				}
			}
			require.Equal(t, map[string][]string{"a": {"10.0.0.1:1", "10.0.0.1:3"}, "b": {"10.0.0.1:2"}}, byGroup)
			// The group directories do not own the providers.
			list[0].Destroy()
			_, destroys := p.counts()
			require.Zero(t, destroys)

			d.Notify(urls(inGroup(1, "a"), inGroup(3, "a")))
			require.Equal(t, []string{"10.0.0.1:1", "10.0.0.1:3"}, addrs(t, d), "a single group lists the plain invokers")
		})
	}
}
