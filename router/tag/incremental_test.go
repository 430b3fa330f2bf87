package tag_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/protocol"
	"github.com/fleetrpc/fleet/router"
	"github.com/fleetrpc/fleet/router/tag"
)

// counted is a provider invoker that counts reads of its URL.
type counted struct {
	url   *common.URL
	reads *atomic.Int64
}

func (c *counted) URL() *common.URL {
	c.reads.Add(1)
	return c.url
}
func (c *counted) Invoke(context.Context, protocol.Invocation) protocol.Result { return nil }
func (c *counted) IsAvailable() bool                                           { return true }
func (c *counted) Destroy()                                                    {}

// incrementalRule has address tags, a match tag and a tag that is also a
// static tag of some providers.
const incrementalRule = `
configVersion: v3.0
force: false
key: p
tags:
  - name: gray
    addresses: ["10.0.0.1-40:20880"]
  - name: zoned
    match:
      - key: zone
        value:
          exact: z1
  - name: blue
`

// randomProvider is provider number i: a static tag among a few (or none)
// and a zone, both drawn from rnd.
func randomProvider(t testing.TB, rnd *rand.Rand, i int, reads *atomic.Int64) protocol.Invoker {
	extra := ""
	if k := rnd.IntN(6); k < 4 {
		extra = "&dubbo.tag=" + [...]string{"blue", "gray", "red", fmt.Sprintf("t%d", rnd.IntN(3))}[k]
	}
	u := mustURL(t, fmt.Sprintf("dubbo://10.0.%d.%d:20880/com.foo.BarService?remote.application=p&zone=z%d%s",
		i/200, i%200, rnd.IntN(3), extra))
	return &counted{url: u, reads: reads}
}

// requireSameCompile requires two compiles of one router to be equal: the
// same outcomes (pools, fallbacks, flags), the same decision for every
// kind of call, and the same recorded state.
func requireSameCompile(t *testing.T, want, got router.Compiled, msg string) {
	t.Helper()
	require.Equal(t, want.Outcomes, got.Outcomes, msg)
	require.Equal(t, want.State, got.State, msg)
	require.Equal(t, want.PerInvoker, got.PerInvoker, msg)
	for _, atts := range [][]string{
		nil,
		{"dubbo.tag", "blue"}, {"dubbo.tag", "gray"}, {"dubbo.tag", "red"}, {"dubbo.tag", "zoned"},
		{"dubbo.tag", "t0"}, {"dubbo.tag", "t2"}, {"dubbo.tag", "unknown"},
		{"dubbo.tag", "blue", "dubbo.force.tag", "true"}, {"dubbo.tag", "t1", "dubbo.force.tag", "true"},
		{"dubbo.tag", "unknown", "dubbo.force.tag", "true"},
	} {
		require.Equal(t, want.Decide(call(atts...)), got.Decide(call(atts...)), "%s: call %v", msg, atts)
	}
}

// TestCompileNextEqualsCompile changes a snapshot at random many times
// (providers added, removed, replaced by a changed URL, reordered) and
// requires CompileNext from the previous compile to equal a compile from
// scratch, with and without a rule, and the chains built by Next to route
// as chains built anew.
func TestCompileNextEqualsCompile(t *testing.T) {
	ruled, err := tag.FromYAML("p", []byte(incrementalRule))
	require.NoError(t, err)
	for _, tc := range []struct {
		name string
		r    *tag.Router
	}{{"static", tag.Static()}, {"rule", ruled}} {
		t.Run(tc.name, func(t *testing.T) {
			rnd := rand.New(rand.NewPCG(17, uint64(len(tc.name))))
			var reads atomic.Int64
			cons := mustURL(t, consumer)
			next := 0
			list := make([]protocol.Invoker, 60)
			for i := range list {
				list[i] = randomProvider(t, rnd, next, &reads)
				next++
			}
			prev, err := tc.r.Compile(cons, list)
			require.NoError(t, err)
			chain := router.NewChain([]router.Router{tc.r}, list, cons, nil)
			for step := range 200 {
				old := list
				list = nil
				from := []int32{}
				for i, x := range old {
					switch k := rnd.IntN(20); {
					case k == 0: // removed
					case k == 1: // changed: a new invoker in its place
						list = append(list, randomProvider(t, rnd, next, &reads))
						from = append(from, -1)
						next++
					default:
						list = append(list, x)
						from = append(from, int32(i))
					}
				}
				for range rnd.IntN(4) { // added at random places
					at := rnd.IntN(len(list) + 1)
					list = append(list[:at], append([]protocol.Invoker{randomProvider(t, rnd, next, &reads)}, list[at:]...)...)
					from = append(from[:at], append([]int32{-1}, from[at:]...)...)
					next++
				}
				moved := 0
				if step%25 == 0 && len(list) > 1 { // a reordering
					moved = 16 // two invokers, each a window of the chain's search
					i, j := rnd.IntN(len(list)), rnd.IntN(len(list))
					list[i], list[j] = list[j], list[i]
					from[i], from[j] = from[j], from[i]
				}
				fresh := 0
				for _, f := range from {
					if f < 0 {
						fresh++
					}
				}
				msg := fmt.Sprintf("step %d", step)
				want, err := tc.r.Compile(cons, list)
				require.NoError(t, err, msg)
				reads.Store(0)
				moves, err := router.MovesFromIndex(from, len(old))
				require.NoError(t, err, msg)
				got, err := tc.r.CompileNext(prev, cons, list, moves)
				require.NoError(t, err, msg)
				requireSameCompile(t, want, got, msg)
				// Only the new providers' URLs are read: once for the
				// static tag, once per rule tag.
				perNew := int64(1)
				if tc.r.Rule() != nil {
					perNew += int64(len(tc.r.Rule().Tags))
				}
				require.LessOrEqual(t, reads.Load(), int64(fresh)*perNew, msg)
				prev = got

				reads.Store(0)
				nc := chain.Next([]router.Router{tc.r}, list, cons)
				// The chain finds kept invokers near their old place
				// (router's reuse window): around one moved far, a few
				// may count as new.
				require.LessOrEqual(t, reads.Load(), int64(fresh+moved)*perNew, "%s: Chain.Next compiles incrementally", msg)
				full := router.NewChain([]router.Router{tc.r}, list, cons, nil)
				for _, atts := range [][]string{nil, {"dubbo.tag", "blue"}, {"dubbo.tag", "gray"}, {"dubbo.tag", "t1"},
					{"dubbo.tag", "zoned"}, {"dubbo.tag", "nope", "dubbo.force.tag", "true"}} {
					require.Equal(t, hosts(full.Route(list, call(atts...))), hosts(nc.Route(list, call(atts...))), "%s: %v", msg, atts)
				}
				chain = nc
			}
		})
	}
}

// TestCompileNextForeignState: a prev that is not the router's own compile
// (another router's, or none) is compiled in full.
func TestCompileNextForeignState(t *testing.T) {
	var reads atomic.Int64
	rnd := rand.New(rand.NewPCG(1, 2))
	list := []protocol.Invoker{randomProvider(t, rnd, 0, &reads), randomProvider(t, rnd, 1, &reads)}
	cons := mustURL(t, consumer)
	ruled, err := tag.FromYAML("p", []byte(incrementalRule))
	require.NoError(t, err)
	staticCompiled, err := tag.Static().Compile(cons, list)
	require.NoError(t, err)
	for name, prev := range map[string]router.Compiled{
		"none":              {},
		"other rule":        staticCompiled,
		"outcomes no state": {Outcomes: staticCompiled.Outcomes},
	} {
		t.Run(name, func(t *testing.T) {
			want, err := ruled.Compile(cons, list)
			require.NoError(t, err)
			moves, err := router.MovesFromIndex([]int32{0, 1}, 2)
			require.NoError(t, err)
			got, err := ruled.CompileNext(prev, cons, list, moves)
			require.NoError(t, err)
			requireSameCompile(t, want, got, name)
		})
	}
}

// BenchmarkChainNextTagRule is one provider added to a snapshot of n
// (Chain.Next with the tag router carrying a rule): it reads the new
// provider's URL only; compare BenchmarkCompileTagRule, a compile from
// scratch.
func BenchmarkChainNextTagRule(b *testing.B) {
	for _, n := range []int{10000, 100000} {
		b.Run(fmt.Sprintf("providers=%d", n), func(b *testing.B) {
			all := benchProviders(b, n+1)
			tr, err := tag.FromYAML("p", []byte(benchRule))
			require.NoError(b, err)
			rs := []router.Router{tr}
			cons := mustURL(b, consumer)
			a, c := all[:n], all
			chain := router.NewChain(rs, a, cons, nil)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if i%2 == 0 {
					chain = chain.Next(rs, c, cons)
				} else {
					chain = chain.Next(rs, a, cons)
				}
			}
		})
	}
}
