package router_test

import (
	"fmt"
	"testing"

	"github.com/fleetrpc/fleet/protocol"
	"github.com/fleetrpc/fleet/router"
)

// benchRules are the rules of the benchmarks, the first n of them used:
// they keep some providers for the benchmark's consumer and call, and mix
// rules that read only the consumer with rules that read the call.
var benchRules = []struct{ rule, extra string }{
	{"application = foo => env = gray", ""},
	{"method = getFoo => zone != z3", ""},
	{"=> host != 10.0.0.1", "priority=1"},
	{"env = gray => zone = z0,z1,z2", "force=true"},
	{"arguments[0] = vip => env = prod", ""},
}

func benchChain(b *testing.B, n, rules int) (*router.Chain, []protocol.Invoker, []router.Router) {
	b.Helper()
	list := providers(b, n)
	var rs []router.Router
	for _, r := range benchRules[:rules] {
		rs = append(rs, cond(b, r.rule, r.extra))
	}
	return router.NewChain(rs, list, mustURL(b, consumerURL), nil), list, rs
}

var sink []protocol.Invoker

// BenchmarkChainRoute is the router part of a pick: Route over the
// snapshot's invokers, result cached (the steady state).
func BenchmarkChainRoute(b *testing.B) {
	inv := protocol.NewInvocation("getFoo", "x")
	for _, n := range []int{10, 1000, 10000} {
		for _, rules := range []int{1, 2, 5} {
			b.Run(fmt.Sprintf("providers=%d/rules=%d", n, rules), func(b *testing.B) {
				c, list, _ := benchChain(b, n, rules)
				c.Route(list, inv)
				b.ReportAllocs()
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					sink = c.Route(list, inv)
				}
			})
		}
	}
}

// BenchmarkChainRoutePerMethodList routes a list the snapshot holds per
// method (a sub-slice here), looked up by address in the chain's cache.
func BenchmarkChainRoutePerMethodList(b *testing.B) {
	inv := protocol.NewInvocation("getFoo", "x")
	for _, n := range []int{10, 1000, 10000} {
		b.Run(fmt.Sprintf("providers=%d/rules=5", n), func(b *testing.B) {
			c, list, _ := benchChain(b, n, 5)
			sub := list[1:]
			c.Prepare(sub)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				sink = c.Route(sub, inv)
			}
		})
	}
}

// BenchmarkSequentialRoute is the peer: the same routers run one by one
// per call, matching every provider (what an uncompiled chain, and
// dubbo-go, do).
func BenchmarkSequentialRoute(b *testing.B) {
	inv := protocol.NewInvocation("getFoo", "x")
	for _, n := range []int{10, 1000, 10000} {
		for _, rules := range []int{1, 5} {
			b.Run(fmt.Sprintf("providers=%d/rules=%d", n, rules), func(b *testing.B) {
				c, list, rs := benchChain(b, n, rules)
				b.ReportAllocs()
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					out := list
					for _, r := range rs {
						out, _ = r.Route(out, c.Consumer(), inv)
					}
					sink = out
				}
			})
		}
	}
}

// BenchmarkNewChain is the cost of building a snapshot's chain: compiling
// every rule over every provider.
func BenchmarkNewChain(b *testing.B) {
	for _, n := range []int{10, 1000, 10000} {
		for _, rules := range []int{1, 5} {
			b.Run(fmt.Sprintf("providers=%d/rules=%d", n, rules), func(b *testing.B) {
				c, list, rs := benchChain(b, n, rules)
				b.ReportAllocs()
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					router.NewChain(rs, list, c.Consumer(), nil)
				}
			})
		}
	}
}

// BenchmarkChainNext rebuilds a chain for a snapshot in which 1% of the
// providers changed (every hundredth replaced), reusing the previous
// chain's work; compare with BenchmarkNewChain.
func BenchmarkChainNext(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		for _, rules := range []int{1, 5} {
			b.Run(fmt.Sprintf("providers=%d/rules=%d", n, rules), func(b *testing.B) {
				all := providers(b, n+n/100)
				c, _, rs := benchChain(b, 0, rules)
				prev := router.NewChain(rs, all[:n], c.Consumer(), nil)
				next := append([]protocol.Invoker(nil), all[:n]...)
				for i := 0; i < n/100; i++ {
					next[i*100] = all[n+i]
				}
				b.ReportAllocs()
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					prev.Next(rs, next, c.Consumer())
				}
			})
		}
	}
}

// BenchmarkChainRouteRulePerMethod: a rule per method (12 rules that read
// the call's method), decided once per method name.
func BenchmarkChainRouteRulePerMethod(b *testing.B) {
	for _, n := range []int{10, 10000} {
		b.Run(fmt.Sprintf("providers=%d/rules=12", n), func(b *testing.B) {
			list := providers(b, n)
			var rs []router.Router
			for i := 0; i < 12; i++ {
				rs = append(rs, cond(b, fmt.Sprintf("method = m%d => zone = z%d", i, i%4), ""))
			}
			c := router.NewChain(rs, list, mustURL(b, consumerURL), nil)
			calls := []protocol.Invocation{protocol.NewInvocation("m3"), protocol.NewInvocation("m7"), protocol.NewInvocation("other")}
			for _, inv := range calls {
				c.Route(list, inv)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				sink = c.Route(list, calls[i%len(calls)])
			}
		})
	}
}
