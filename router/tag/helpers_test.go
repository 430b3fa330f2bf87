package tag_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/protocol"
	"github.com/fleetrpc/fleet/router"
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

func hosts(list []protocol.Invoker) []string {
	out := []string{}
	for _, x := range list {
		out = append(out, x.URL().Host())
	}
	return out
}

// route routes list with r directly, through a compiled chain (the whole
// list and, when it has more than one invoker, each sub-list without one of
// them, as per-method lists) and through Explain; it requires them to agree
// and returns the hosts reached over the whole list.
func route(t testing.TB, r router.Router, list []protocol.Invoker, consumer *common.URL, inv protocol.Invocation) []string {
	t.Helper()
	direct, err := r.Route(list, consumer, inv)
	require.NoError(t, err)
	chain := router.NewChain([]router.Router{r}, list, consumer, nil)
	require.Equal(t, hosts(direct), hosts(chain.Route(list, inv)), "chain and router disagree")
	require.Equal(t, hosts(direct), hosts(chain.Explain(list, inv).Reached), "explain and router disagree")
	for skip := range list {
		if len(list) < 2 {
			break
		}
		sub := append(append([]protocol.Invoker{}, list[:skip]...), list[skip+1:]...)
		want, err := r.Route(sub, consumer, inv)
		require.NoError(t, err)
		require.Equal(t, hosts(want), hosts(chain.Route(sub, inv)), "chain and router disagree on a sub-list without %d", skip)
	}
	return hosts(direct)
}

func call(atts ...string) protocol.Invocation {
	inv := protocol.NewInvocation("sayHello", "x")
	for i := 0; i+1 < len(atts); i += 2 {
		inv = inv.WithAttachment(atts[i], atts[i+1])
	}
	return inv
}
