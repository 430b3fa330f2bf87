package router_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/fleetrpc/fleet/protocol"
	"github.com/fleetrpc/fleet/router"
)

func TestMockRouter(t *testing.T) {
	list := []protocol.Invoker{
		&stub{url: mustURL(t, "dubbo://10.0.0.1:20880/com.foo.BarService")},
		&stub{url: mustURL(t, "mock://10.0.0.2:20880/com.foo.BarService")},
		&stub{url: mustURL(t, "dubbo://10.0.0.3:20880/com.foo.BarService")},
	}
	plain := []protocol.Invoker{list[0], list[2]}
	addrs := func(l []protocol.Invoker) []string {
		out := []string{}
		for _, x := range l {
			out = append(out, x.URL().Address())
		}
		return out
	}
	tests := []struct {
		name string
		list []protocol.Invoker
		inv  protocol.Invocation
		want []string
	}{
		{"normal call: mock providers left out", list, protocol.NewInvocation("m"), []string{"10.0.0.1:20880", "10.0.0.3:20880"}},
		{"nil invocation: normal", list, nil, []string{"10.0.0.1:20880", "10.0.0.3:20880"}},
		{"need mock: mock providers only", list, protocol.NewInvocation("m").WithAttachment("invocation.need.mock", "TRUE"), []string{"10.0.0.2:20880"}},
		{"need mock, no mock provider: none", plain, protocol.NewInvocation("m").WithAttachment("invocation.need.mock", "true"), []string{}},
		{"no mock provider: unchanged", plain, protocol.NewInvocation("m"), []string{"10.0.0.1:20880", "10.0.0.3:20880"}},
		{"another value: every provider", list, protocol.NewInvocation("m").WithAttachment("invocation.need.mock", "false"), []string{"10.0.0.1:20880", "10.0.0.2:20880", "10.0.0.3:20880"}},
	}
	m := router.Mock()
	require.Equal(t, router.MockPriority, m.Priority())
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			direct, err := m.Route(tt.list, nil, tt.inv)
			require.NoError(t, err)
			require.Equal(t, tt.want, addrs(direct))
			c := router.NewChain([]router.Router{m}, tt.list, mustURL(t, consumerURL), nil)
			require.Equal(t, tt.want, addrs(c.Route(tt.list, tt.inv)))
			require.Equal(t, tt.want, addrs(c.Explain(tt.list, tt.inv).Reached))
		})
	}
	// It runs first in a chain, before route:// rules of priority 0.
	c := router.NewChain([]router.Router{cond(t, "=> host = 10.0.0.2", "force=true"), m}, list, mustURL(t, consumerURL), nil)
	require.Equal(t, []string{}, addrs(c.Route(list, protocol.NewInvocation("m"))))
	require.Equal(t, "mock", c.Explain(list, protocol.NewInvocation("m")).Steps[0].Router.(router.Kinded).Kind())
}
