package tag_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/protocol"
	"github.com/fleetrpc/fleet/router"
	"github.com/fleetrpc/fleet/router/condition"
	"github.com/fleetrpc/fleet/router/tag"
)

// benchProviders: n providers of application p in 40 /24 networks, every
// tenth statically tagged blue, spread over zones z0..z3.
func benchProviders(b *testing.B, n int) []protocol.Invoker {
	urls := make([]string, n)
	for i := range urls {
		extra := ""
		if i%10 == 0 {
			extra = "&dubbo.tag=blue"
		}
		urls[i] = fmt.Sprintf("dubbo://10.%d.%d.%d:20880/com.foo.BarService?remote.application=p&zone=z%d%s", i/65536, (i/256)%256, i%256, i%4, extra)
	}
	return invokers(b, urls...)
}

const benchRule = `
configVersion: v3.0
force: false
key: p
tags:
  - name: gray
    addresses: ["10.0.1-20.*", "10.0.30.0/24"]
  - name: canary
    addresses: ["10.0.33.7:20880"]
`

// BenchmarkChainRouteTagRule is the target: Chain.Route with a
// dynamic tag rule plus two condition rules (one reading the call's
// method) at 10,000 providers, result cached; the call carries a tag.
func BenchmarkChainRouteTagRule(b *testing.B) {
	for _, n := range []int{100, 10000} {
		b.Run(fmt.Sprintf("providers=%d", n), func(b *testing.B) {
			list := benchProviders(b, n)
			tr, err := tag.FromYAML("p", []byte(benchRule))
			require.NoError(b, err)
			rs := []router.Router{tr, benchCond(b, "method = getFoo => zone != z3"), benchCond(b, "application = c => zone != z0")}
			c := router.NewChain(rs, list, mustURL(b, consumer), nil)
			calls := []protocol.Invocation{
				call("dubbo.tag", "gray"),
				call("dubbo.tag", "blue"),
				call(),
			}
			for _, inv := range calls {
				require.NotEmpty(b, c.Route(list, inv))
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				sink = c.Route(list, calls[i%len(calls)])
			}
		})
	}
}

// BenchmarkSequentialTagRule is the peer: the same three routers run one
// by one per call over every provider.
func BenchmarkSequentialTagRule(b *testing.B) {
	list := benchProviders(b, 10000)
	tr, err := tag.FromYAML("p", []byte(benchRule))
	require.NoError(b, err)
	rs := []router.Router{tr, benchCond(b, "method = getFoo => zone != z3"), benchCond(b, "application = c => zone != z0")}
	cons := mustURL(b, consumer)
	inv := call("dubbo.tag", "gray")
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		out := list
		for _, r := range rs {
			out, _ = r.Route(out, cons, inv)
		}
		sink = out
	}
}

// BenchmarkCompileTagRule is the cost of compiling the tag rule over a
// snapshot (each new snapshot pays it).
func BenchmarkCompileTagRule(b *testing.B) {
	list := benchProviders(b, 10000)
	tr, err := tag.FromYAML("p", []byte(benchRule))
	require.NoError(b, err)
	cons := mustURL(b, consumer)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		router.NewChain([]router.Router{tr}, list, cons, nil)
	}
}

var sink []protocol.Invoker

func benchCond(b *testing.B, rule string) router.Router {
	b.Helper()
	r, err := condition.New(mustURL(b, "route://0.0.0.0/com.foo.BarService?category=routers&router=condition&rule="+common.Encode(rule)))
	require.NoError(b, err)
	return r
}
