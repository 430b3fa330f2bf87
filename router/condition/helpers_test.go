package condition_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/protocol"
	"github.com/fleetrpc/fleet/router"
	"github.com/fleetrpc/fleet/router/condition"
)

// stub is a provider invoker that only has a URL.
type stub struct{ url *common.URL }

func (s *stub) URL() *common.URL                                            { return s.url }
func (s *stub) Invoke(context.Context, protocol.Invocation) protocol.Result { return nil }
func (s *stub) IsAvailable() bool                                           { return true }
func (s *stub) Destroy()                                                    {}

func invokers(t testing.TB, urls ...string) []protocol.Invoker {
	t.Helper()
	out := make([]protocol.Invoker, len(urls))
	for i, u := range urls {
		out[i] = &stub{url: mustURL(t, u)}
	}
	return out
}

func mustURL(t testing.TB, s string) *common.URL {
	t.Helper()
	u, err := common.Parse(s)
	require.NoError(t, err, s)
	return u
}

// ruleURL is a route:// URL carrying rule encoded, as Java writes it, plus
// extra params.
func ruleURL(t testing.TB, rule, extra string) *common.URL {
	t.Helper()
	s := "route://0.0.0.0/com.foo.BarService?category=routers&router=condition&rule=" + common.Encode(rule)
	if extra != "" {
		s += "&" + extra
	}
	return mustURL(t, s)
}

func newRouter(t testing.TB, rule, extra string) *condition.Router {
	t.Helper()
	r, err := condition.New(ruleURL(t, rule, extra))
	require.NoError(t, err)
	return r
}

// hosts lists the addresses of invokers.
func hosts(list []protocol.Invoker) []string {
	out := []string{}
	for _, x := range list {
		out = append(out, x.URL().Address())
	}
	return out
}

// route routes with r directly and through a chain (compiled), requires
// both to agree, and returns the addresses reached.
func route(t testing.TB, r router.Router, list []protocol.Invoker, consumer *common.URL, inv protocol.Invocation) []string {
	t.Helper()
	direct, err := r.Route(list, consumer, inv)
	require.NoError(t, err)
	chain := router.NewChain([]router.Router{r}, list, consumer, nil)
	require.Equal(t, hosts(direct), hosts(chain.Route(list, inv)), "chain and router disagree")
	require.Equal(t, hosts(direct), hosts(chain.Explain(list, inv).Reached), "explain and router disagree")
	return hosts(direct)
}
