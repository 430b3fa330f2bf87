package router_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/protocol"
	"github.com/fleetrpc/fleet/router"
	"github.com/fleetrpc/fleet/router/condition"
)

type stub struct{ url *common.URL }

func (s *stub) URL() *common.URL                                            { return s.url }
func (s *stub) Invoke(context.Context, protocol.Invocation) protocol.Result { return nil }
func (s *stub) IsAvailable() bool                                           { return true }
func (s *stub) Destroy()                                                    {}

const consumerURL = "consumer://1.1.1.1/com.foo.BarService?application=foo&env=gray"

func mustURL(t testing.TB, s string) *common.URL {
	t.Helper()
	u, err := common.Parse(s)
	require.NoError(t, err, s)
	return u
}

// providers returns n invokers at 10.0.x.y:20880, with env gray for every
// third and prod otherwise, and zone z<i%4>.
func providers(t testing.TB, n int) []protocol.Invoker {
	t.Helper()
	out := make([]protocol.Invoker, n)
	for i := range out {
		env := "prod"
		if i%3 == 0 {
			env = "gray"
		}
		out[i] = &stub{url: mustURL(t, fmt.Sprintf("dubbo://10.0.%d.%d:20880/com.foo.BarService?env=%s&zone=z%d&methods=getFoo,setFoo", i/250, i%250, env, i%4))}
	}
	return out
}

func cond(t testing.TB, rule, extra string) router.Router {
	t.Helper()
	s := "condition://0.0.0.0/com.foo.BarService?category=routers&rule=" + common.Encode(rule)
	if extra != "" {
		s += "&" + extra
	}
	r, err := router.New(mustURL(t, s))
	require.NoError(t, err)
	return r
}

func hosts(list []protocol.Invoker) []string {
	out := []string{}
	for _, x := range list {
		out = append(out, x.URL().Address())
	}
	return out
}

// sequential routes list through routers one by one, in the chain's
// order, as Java's RouterChain does.
func sequential(t testing.TB, c *router.Chain, list []protocol.Invoker, inv protocol.Invocation) []protocol.Invoker {
	t.Helper()
	var flat []router.Router
	var expand func(r router.Router)
	expand = func(r router.Router) {
		if s, ok := r.(router.Sequence); ok {
			for _, m := range s.Members() {
				expand(m)
			}
			return
		}
		flat = append(flat, r)
	}
	for _, r := range c.Routers() {
		expand(r)
	}
	for _, r := range flat {
		if len(list) == 0 {
			break
		}
		routed, err := r.Route(list, c.Consumer(), inv)
		if err == nil {
			list = routed
		}
	}
	return list
}

func TestChainPriorityOrder(t *testing.T) {
	list := providers(t, 6) // 10.0.0.0 .. 10.0.0.5; gray: 0, 3
	consumer := mustURL(t, consumerURL)
	toGray := func(p int) router.Router { return cond(t, "=> env = gray", fmt.Sprintf("priority=%d", p)) }
	toFive := func(p int) router.Router { return cond(t, "=> host = 10.0.0.5", fmt.Sprintf("priority=%d", p)) }
	tests := []struct {
		name    string
		routers []router.Router
		want    []string
	}{
		// host first keeps 10.0.0.5 (prod); env then matches none: unchanged.
		{"lower priority runs first", []router.Router{toGray(2), toFive(1)}, []string{"10.0.0.5:20880"}},
		{"reversed", []router.Router{toGray(1), toFive(2)}, []string{"10.0.0.0:20880", "10.0.0.3:20880"}},
		{"ties keep their order", []router.Router{toFive(0), toGray(0)}, []string{"10.0.0.5:20880"}},
		{"negative priority", []router.Router{toGray(0), toFive(-1)}, []string{"10.0.0.5:20880"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := router.NewChain(tt.routers, list, consumer, nil)
			require.Equal(t, tt.want, hosts(c.Route(list, nil)))
			for i := 1; i < len(c.Routers()); i++ {
				require.LessOrEqual(t, c.Routers()[i-1].Priority(), c.Routers()[i].Priority())
			}
		})
	}
}

// TestChainMatchesSequentialRouting compares the compiled, cached chain
// with routing router by router, over random rules, providers, lists and
// calls.
func TestChainMatchesSequentialRouting(t *testing.T) {
	rules := []string{
		"=> env = gray", "=> env = prod", "=> zone = z1,z2", "=> zone != z3", "=> host = 10.0.0.*",
		"=> host = 10.0.1.*", "=> env = $env", "=> host = 9.9.9.9", "env = gray => zone = z0",
		"env = prod => zone = z0", "method = getFoo => zone = z1", "method != getFoo => env = prod",
		"method = setFoo & env = gray => host = 10.0.0.1*", "arguments[0] = a => zone = z2",
		"arguments[0] = b & method = getFoo => env = gray", "host = 1.1.1.1 =>", "host = 2.2.2.2 =>",
		"method = findFoo =>", "=> ,", "application = foo => port = 20880", "=> zone",
		"arguments[1] = 3 => zone = z3",
	}
	extras := []string{"", "force=true", "enabled=false", "force=true&priority=-1", "priority=5"}
	calls := []protocol.Invocation{
		nil, protocol.NewInvocation("getFoo"), protocol.NewInvocation("setFoo", "a"),
		protocol.NewInvocation("getFoo", "b"), protocol.NewInvocation("findFoo", "a", 3),
		protocol.NewGenericInvocation("getFoo", nil, []any{"a"}),
	}
	rng := rand.New(rand.NewPCG(1, 2))
	consumer := mustURL(t, consumerURL)
	for round := 0; round < 300; round++ {
		n := 1 + rng.IntN(150)
		list := providers(t, n)
		var rs []router.Router
		for k := rng.IntN(5); k >= 0; k-- {
			rs = append(rs, cond(t, rules[rng.IntN(len(rules))], extras[rng.IntN(len(extras))]))
		}
		if rng.IntN(4) == 0 {
			set, err := condition.FromYAML([]byte(fmt.Sprintf("scope: service\nkey: x\nforce: %v\nconditions:\n  - '%s'\n  - '%s'\n",
				rng.IntN(2) == 0, rules[rng.IntN(len(rules))], rules[rng.IntN(len(rules))])))
			require.NoError(t, err)
			rs = append(rs, set)
		}
		c := router.NewChain(rs, list, consumer, nil)
		// a sub-list in another order, as a per-method list
		sub := append([]protocol.Invoker(nil), list...)
		rng.Shuffle(len(sub), func(i, j int) { sub[i], sub[j] = sub[j], sub[i] })
		sub = sub[:1+rng.IntN(len(sub))]
		for _, inv := range calls {
			for _, cands := range [][]protocol.Invoker{list, sub} {
				want := hosts(sequential(t, c, cands, inv))
				require.Equal(t, want, hosts(c.Route(cands, inv)), "round %d", round)
				require.Equal(t, want, hosts(c.Route(cands, inv)), "cached, round %d", round)
				require.Equal(t, want, hosts(c.Explain(cands, inv).Reached), "explain, round %d", round)
			}
		}
	}
}

// plain is a router that is not Compilable: it drops one address.
type plain struct {
	drop     string
	priority int
	err      error
}

func (p *plain) URL() *common.URL { return nil }
func (p *plain) Priority() int    { return p.priority }
func (p *plain) Route(list []protocol.Invoker, _ *common.URL, _ protocol.Invocation) ([]protocol.Invoker, error) {
	if p.err != nil {
		return nil, p.err
	}
	var out []protocol.Invoker
	for _, x := range list {
		if x.URL().Address() != p.drop {
			out = append(out, x)
		}
	}
	return out, nil
}

func TestChainWithRoutersThatDoNotCompile(t *testing.T) {
	list := providers(t, 6)
	consumer := mustURL(t, consumerURL)
	rs := []router.Router{
		cond(t, "=> env = gray", "priority=1"),         // 0, 3
		&plain{drop: "10.0.0.0:20880", priority: 2},    // 3
		cond(t, "=> host = 10.0.0.4", "priority=3"),    // none: unchanged
		&plain{err: errors.New("broken"), priority: 0}, // fails: skipped
	}
	c := router.NewChain(rs, list, consumer, nil)
	require.Equal(t, []string{"10.0.0.3:20880"}, hosts(c.Route(list, nil)))
	require.Equal(t, hosts(sequential(t, c, list, nil)), hosts(c.Route(list, nil)))
	ex := c.Explain(list, nil)
	require.Error(t, ex.Steps[0].Err)
	require.Equal(t, []string{"10.0.0.3:20880"}, hosts(ex.Reached))
}

// failing is Compilable but fails to compile.
type failing struct{ plain }

func (f *failing) Compile(*common.URL, []protocol.Invoker) (router.Compiled, error) {
	return router.Compiled{}, errors.New("cannot compile")
}

func TestChainCompileErrorLeavesCallsUnrouted(t *testing.T) {
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, nil))
	list := providers(t, 3)
	c := router.NewChain([]router.Router{&failing{plain{drop: "10.0.0.0:20880"}}}, list, mustURL(t, consumerURL), logger)
	require.Len(t, c.Route(list, nil), 3)
	require.Contains(t, logs.String(), "cannot compile")
	require.Len(t, c.Explain(list, nil).Reached, 3)
}

func TestChainCandidatesOutsideTheSnapshot(t *testing.T) {
	list := providers(t, 6)
	c := router.NewChain([]router.Router{cond(t, "=> env = gray", "")}, list[:3], mustURL(t, consumerURL), nil)
	// list[3] is not one of the chain's invokers: routed per call.
	require.Equal(t, []string{"10.0.0.0:20880", "10.0.0.3:20880"}, hosts(c.Route(list[:4], nil)))
	require.Equal(t, []string{"10.0.0.0:20880", "10.0.0.3:20880"}, hosts(c.Route(list[:4], nil)))
}

func TestChainWithoutRoutersOrCandidates(t *testing.T) {
	list := providers(t, 3)
	c := router.NewChain(nil, list, mustURL(t, consumerURL), nil)
	require.Len(t, c.Route(list, nil), 3)
	c = router.NewChain([]router.Router{cond(t, "=> env = gray", "")}, nil, mustURL(t, consumerURL), nil)
	require.Empty(t, c.Route(nil, nil))
}

func TestChainKeepsCandidateOrder(t *testing.T) {
	list := providers(t, 7)
	sub := []protocol.Invoker{list[6], list[3], list[1], list[0]}
	c := router.NewChain([]router.Router{cond(t, "=> env = gray", "")}, list, mustURL(t, consumerURL), nil)
	c.Prepare(sub)
	require.Equal(t, []string{"10.0.0.6:20880", "10.0.0.3:20880", "10.0.0.0:20880"}, hosts(c.Route(sub, nil)))
	// In the snapshot's order (a per-method list: positions by one walk),
	// and with an invoker twice (by the index).
	inOrder := []protocol.Invoker{list[0], list[1], list[3], list[6]}
	require.Equal(t, []string{"10.0.0.0:20880", "10.0.0.3:20880", "10.0.0.6:20880"}, hosts(c.Route(inOrder, nil)))
	twice := []protocol.Invoker{list[3], list[1], list[3]}
	require.Equal(t, []string{"10.0.0.3:20880", "10.0.0.3:20880"}, hosts(c.Route(twice, nil)))
}

// TestChainRouteDoesNotAllocate pins 0 allocations for cached routes, over
// the snapshot's list and a per-method list, with rules that do and do not
// read the call.
func TestChainRouteDoesNotAllocate(t *testing.T) {
	list := providers(t, 1000)
	sub := list[100:600]
	rs := []router.Router{
		cond(t, "application = foo => env = gray", ""),
		cond(t, "method = getFoo => zone = z0,z3", ""),
		cond(t, "arguments[0] = 42 => zone != z3", "force=true"),
	}
	c := router.NewChain(rs, list, mustURL(t, consumerURL), nil)
	c.Prepare(sub)
	calls := []protocol.Invocation{
		protocol.NewInvocation("getFoo", 42), protocol.NewInvocation("getFoo", "x"),
		protocol.NewInvocation("setFoo", int64(42)), protocol.NewGenericInvocation("getFoo", nil, []any{"42"}),
	}
	for _, inv := range calls {
		for _, cands := range [][]protocol.Invoker{list, sub} {
			want := hosts(sequential(t, c, cands, inv))
			require.Equal(t, want, hosts(c.Route(cands, inv)))
			allocs := testing.AllocsPerRun(100, func() { c.Route(cands, inv) })
			require.Zero(t, allocs, "%s over %d", inv.MethodName(), len(cands))
		}
	}
}

func TestChainConcurrentRoute(t *testing.T) {
	list := providers(t, 200)
	rs := []router.Router{cond(t, "method = getFoo => env = gray", ""), cond(t, "=> zone != z1", "")}
	c := router.NewChain(rs, list, mustURL(t, consumerURL), nil)
	subs := [][]protocol.Invoker{list, list[:50], list[50:120], list[7:8]}
	calls := []protocol.Invocation{protocol.NewInvocation("getFoo"), protocol.NewInvocation("setFoo")}
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 200; i++ {
				cands, inv := subs[(g+i)%len(subs)], calls[i%2]
				got := c.Route(cands, inv)
				if want := sequential(t, c, cands, inv); len(want) != len(got) {
					t.Errorf("got %d invokers, want %d", len(got), len(want))
					return
				}
			}
		}()
	}
	wg.Wait()
}

func TestExplain(t *testing.T) {
	list := providers(t, 6)
	rs := []router.Router{
		cond(t, "=> env = gray", "priority=1"),
		cond(t, "method = getFoo => host = 10.0.0.3", "priority=2"),
		cond(t, "method = setFoo => host = 10.0.0.9", "priority=3&force=true"),
	}
	consumer := mustURL(t, consumerURL)
	ex := router.Explain(rs, list, consumer, protocol.NewInvocation("getFoo"))
	require.Equal(t, []string{"10.0.0.3:20880"}, hosts(ex.Reached))
	require.Equal(t, "getFoo", ex.Method)
	require.Len(t, ex.Steps, 3)
	step, ok := ex.RemovedBy(list[1])
	require.True(t, ok)
	require.Equal(t, `condition "=> env = gray"`, step.Rule)
	step, ok = ex.RemovedBy(list[0])
	require.True(t, ok)
	require.Same(t, rs[1], step.Router)
	_, ok = ex.RemovedBy(list[3])
	require.False(t, ok)
	require.Equal(t, 1, ex.Steps[2].In)
	require.Equal(t, 1, ex.Steps[2].Out)
	require.Contains(t, ex.Steps[2].Note, "when does not match")
	out := ex.String()
	require.Contains(t, out, "removed 10.0.0.1:20880")
	require.Contains(t, out, "reached 1")
	require.True(t, strings.HasPrefix(out, "consumer consumer://1.1.1.1/"), out)

	ex = router.Explain(rs, list, consumer, protocol.NewInvocation("setFoo"))
	require.Empty(t, ex.Reached)
	require.Contains(t, ex.Steps[2].Note, "force=true")
}

// counting is a condition router that counts the invokers it compiles.
type counting struct {
	router.Compilable
	compiled *int
}

func (c *counting) Compile(consumer *common.URL, invokers []protocol.Invoker) (router.Compiled, error) {
	*c.compiled += len(invokers)
	return c.Compilable.Compile(consumer, invokers)
}

// TestChainNextMatchesNewChain changes snapshots at random (removals,
// additions, reordering, changed routers) and checks that a chain built
// with Next routes as one built from scratch, compiling only what is new.
func TestChainNextMatchesNewChain(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	consumer := mustURL(t, consumerURL)
	pool := providers(t, 400)
	rules := []string{"=> env = gray", "method = getFoo => zone = z1,z2", "=> host != 10.0.1.*", "host = 2.2.2.2 => env = prod", "=> env = $env"}
	calls := []protocol.Invocation{nil, protocol.NewInvocation("getFoo"), protocol.NewInvocation("setFoo")}
	compiled := 0
	var rs []router.Router
	for _, r := range rules[:3] {
		rs = append(rs, &counting{Compilable: cond(t, r, "").(router.Compilable), compiled: &compiled})
	}
	list := pool[:200]
	c := router.NewChain(rs, list, consumer, nil)
	for round := 0; round < 200; round++ {
		next := append([]protocol.Invoker(nil), list...)
		switch rng.IntN(5) {
		case 0: // remove a few
			for k := rng.IntN(5); k >= 0 && len(next) > 1; k-- {
				i := rng.IntN(len(next))
				next = append(next[:i], next[i+1:]...)
			}
		case 1: // add a few, anywhere
			for k := rng.IntN(5); k >= 0; k-- {
				i := rng.IntN(len(next) + 1)
				next = append(next[:i], append([]protocol.Invoker{pool[rng.IntN(len(pool))]}, next[i:]...)...)
			}
		case 2: // remove a block
			i := rng.IntN(len(next))
			next = append(next[:i], next[min(len(next), i+50):]...)
		case 3: // shuffle
			rng.Shuffle(len(next), func(i, j int) { next[i], next[j] = next[j], next[i] })
		case 4: // change a router
			rs = append(rs[:0:0], rs...)
			rs[rng.IntN(len(rs))] = &counting{Compilable: cond(t, rules[rng.IntN(len(rules))], "").(router.Compilable), compiled: &compiled}
		}
		if len(next) == 0 {
			next = pool[:1]
		}
		compiled = 0
		nc := c.Next(rs, next, consumer)
		if rng.IntN(2) == 0 {
			require.LessOrEqual(t, compiled, len(rs)*len(next))
		}
		fresh := router.NewChain(rs, next, consumer, nil)
		// NextMoved, told where each invoker was, and told wrong.
		moved := c.NextMoved(rs, next, consumer, movesOf(t, list, next))
		wrong := c.NextMoved(rs, next, consumer, wrongMoves(t, list, next))
		for _, inv := range calls {
			require.Equal(t, hosts(fresh.Route(next, inv)), hosts(nc.Route(next, inv)), "round %d", round)
			require.Equal(t, hosts(fresh.Route(next, inv)), hosts(moved.Route(next, inv)), "round %d: NextMoved", round)
			require.Equal(t, hosts(fresh.Route(next, inv)), hosts(wrong.Route(next, inv)), "round %d: NextMoved, wrong moves", round)
		}
		c, list = nc, next
	}

	// A 1% change of 10,000 providers compiles about 1% of them.
	big := providers(t, 10100)
	c = router.NewChain(rs, big[:10000], consumer, nil)
	next := append(append([]protocol.Invoker(nil), big[50:10000]...), big[10000:]...)
	compiled = 0
	nc := c.Next(rs, next, consumer)
	require.Equal(t, 100*len(rs), compiled)
	require.Equal(t, hosts(router.NewChain(rs, next, consumer, nil).Route(next, nil)), hosts(nc.Route(next, nil)))
	// Told the runs kept, the same.
	compiled = 0
	moves, err := router.NewMoves(len(next), 10000, []router.Run{{At: 0, From: 50, Len: 9950}})
	require.NoError(t, err)
	nc = c.NextMoved(rs, next, consumer, moves)
	require.Equal(t, 100*len(rs), compiled)
	require.Equal(t, hosts(router.NewChain(rs, next, consumer, nil).Route(next, nil)), hosts(nc.Route(next, nil)))

	// Another consumer URL compiles everything again.
	compiled = 0
	c.Next(rs, next, mustURL(t, consumerURL+"&x=1"))
	require.Equal(t, len(next)*len(rs), compiled)
}

// movesOf maps next to prev by identity (the last position of a value
// listed twice).
func movesOf(t testing.TB, prev, next []protocol.Invoker) router.Moves {
	t.Helper()
	at := map[protocol.Invoker]int32{}
	for i, x := range prev {
		at[x] = int32(i)
	}
	from := make([]int32, len(next))
	for i, x := range next {
		if p, ok := at[x]; ok {
			from[i] = p
		} else {
			from[i] = -1
		}
	}
	m, err := router.MovesFromIndex(from, len(prev))
	require.NoError(t, err)
	return m
}

// wrongMoves is movesOf with its longest run moved one place off.
func wrongMoves(t testing.TB, prev, next []protocol.Invoker) router.Moves {
	t.Helper()
	runs := slices.Clone(movesOf(t, prev, next).Runs())
	if len(runs) == 0 {
		return router.Moves{}
	}
	k := 0
	for i, r := range runs {
		if r.Len > runs[k].Len {
			k = i
		}
	}
	if runs[k].From > 0 {
		runs[k].From--
	} else {
		runs[k].Len--
	}
	m, err := router.NewMoves(len(next), len(prev), runs)
	require.NoError(t, err)
	return m
}

// panicky panics in Route, and in Compile when it is compiled.
type panicky struct{ plain }

func (p *panicky) Route([]protocol.Invoker, *common.URL, protocol.Invocation) ([]protocol.Invoker, error) {
	panic("route")
}

type panickyCompile struct{ plain }

func (p *panickyCompile) Compile(*common.URL, []protocol.Invoker) (router.Compiled, error) {
	panic("compile")
}

func TestChainSurvivesPanickingRouters(t *testing.T) {
	list := providers(t, 6)
	quiet := slog.New(slog.NewTextHandler(&bytes.Buffer{}, nil))
	rs := []router.Router{
		&panickyCompile{plain{drop: "10.0.0.1:20880"}},
		cond(t, "=> env = gray", "priority=1"),
		&panicky{plain{priority: 2}},
	}
	c := router.NewChain(rs, list, mustURL(t, consumerURL), quiet)
	want := []string{"10.0.0.0:20880", "10.0.0.3:20880"}
	require.Equal(t, want, hosts(c.Route(list, nil)))
	ex := c.Explain(list, nil)
	require.Equal(t, want, hosts(ex.Reached))
	require.ErrorContains(t, ex.Steps[0].Err, "compile panicked")
	require.Empty(t, ex.Steps[0].Removed, "a router that failed to compile leaves calls unrouted")
	require.ErrorContains(t, ex.Steps[2].Err, "route panicked")
}

func TestChainManyCandidateLists(t *testing.T) {
	list := providers(t, 1100)
	rs := []router.Router{cond(t, "=> env = gray", ""), cond(t, "method = getFoo => zone = z0", "")}
	var logs bytes.Buffer
	c := router.NewChain(rs, list, mustURL(t, consumerURL), slog.New(slog.NewTextHandler(&logs, nil)))
	inv := protocol.NewInvocation("getFoo")
	for round := 0; round < 2; round++ {
		for i := 0; i < 1050; i++ { // past the slice, the map and the bound
			sub := list[i : i+1+i%20]
			require.Equal(t, hosts(sequential(t, c, sub, inv)), hosts(c.Route(sub, inv)), "list %d", i)
		}
	}
	require.Contains(t, logs.String(), "caches no more candidate lists")
	for _, sub := range [][]protocol.Invoker{list[3:7], list[30:41]} { // in the slice, in the map
		require.Zero(t, testing.AllocsPerRun(100, func() { c.Route(sub, inv) }))
	}
}

// TestChainManyMethodRules: a rule per method makes more combinations of
// outcomes than the chain keeps slots for; the ones calls take are cached
// all the same, and past 64 such rules the chain still routes, per call.
func TestChainManyMethodRules(t *testing.T) {
	list := providers(t, 300)
	consumer := mustURL(t, consumerURL)
	for _, n := range []int{12, 70} {
		var rs []router.Router
		for i := 0; i < n; i++ {
			rs = append(rs, cond(t, fmt.Sprintf("method = m%d => zone = z%d", i, i%4), ""))
		}
		c := router.NewChain(rs, list, consumer, slog.New(slog.NewTextHandler(&bytes.Buffer{}, nil)))
		for i := 0; i < n; i++ {
			inv := protocol.NewInvocation(fmt.Sprintf("m%d", i))
			for _, cands := range [][]protocol.Invoker{list, list[10:200]} {
				want := hosts(sequential(t, c, cands, inv))
				require.Equal(t, want, hosts(c.Route(cands, inv)), "%d rules, m%d", n, i)
				if n <= 64 {
					require.Zero(t, testing.AllocsPerRun(20, func() { c.Route(cands, inv) }), "%d rules, m%d", n, i)
				}
			}
		}
	}
}

// TestChainLogsAForcedEmptyResult: a forced rule that leaves no provider
// is logged, with Java's words, once per chain however many calls it
// empties.
func TestChainLogsAForcedEmptyResult(t *testing.T) {
	tests := []struct {
		name   string
		extra  string
		logged bool
	}{
		{"forced", "force=true", true},
		{"not forced", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs bytes.Buffer
			list := providers(t, 6)
			c := router.NewChain([]router.Router{cond(t, "=> env = canary", tt.extra)}, list,
				mustURL(t, consumerURL), slog.New(slog.NewTextHandler(&logs, nil)))
			for range 3 {
				routed := c.Route(list, nil)
				if tt.logged {
					require.Empty(t, routed)
				} else {
					require.Len(t, routed, 6)
				}
			}
			want := 0
			if tt.logged {
				want = 1
			}
			require.Equal(t, want, strings.Count(logs.String(), "route result is empty and force execute"), logs.String())
			if tt.logged {
				require.Contains(t, logs.String(), "service=com.foo.BarService")
			}
		})
	}
}

// TestChainMockRouterLogsNoForcedEmptyResult: the mock router's forced
// outcomes (no mock:// provider for a need.mock call) are not a rule
// forcing an empty result, and prepare computes them ahead of any call.
func TestChainMockRouterLogsNoForcedEmptyResult(t *testing.T) {
	var logs bytes.Buffer
	list := providers(t, 6)
	c := router.NewChain([]router.Router{router.Mock()}, list, mustURL(t, consumerURL), slog.New(slog.NewTextHandler(&logs, nil)))
	c.Prepare(list)
	require.Len(t, c.Route(list, nil), 6)
	require.NotContains(t, logs.String(), "force execute")
}

// mallocs counts the heap allocations of one call of fn.
func mallocs(fn func()) uint64 {
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	fn()
	runtime.ReadMemStats(&m1)
	return m1.Mallocs - m0.Mallocs
}

// TestChainPrepareBounded: Prepare computes every result of a short list
// ahead of calls, but leaves those of a list too long for all its
// combinations (2 × 135,000 invokers) to the first call that takes each;
// either way the result is the sequential one and then cached.
func TestChainPrepareBounded(t *testing.T) {
	rs := []router.Router{cond(t, "method = getFoo => zone = z0,z3", "")}
	for _, tc := range []struct {
		n        int
		prepared bool
	}{{1000, true}, {135000, false}} {
		t.Run(fmt.Sprintf("providers=%d", tc.n), func(t *testing.T) {
			list := providers(t, tc.n)
			for _, inv := range []protocol.Invocation{protocol.NewInvocation("getFoo", "x"), protocol.NewInvocation("setFoo", "x")} {
				// The process's malloc count may take one from another
				// goroutine: a prepared first call allocates nothing in
				// one of three fresh chains.
				var first uint64
				var c *router.Chain
				var got []protocol.Invoker
				for range 3 {
					c = router.NewChain(rs, list, mustURL(t, consumerURL), nil)
					c.Prepare(list)
					if first = mallocs(func() { got = c.Route(list, inv) }); first == 0 {
						break
					}
				}
				if tc.prepared {
					require.Zero(t, first, "%s: prepared", inv.MethodName())
				} else {
					require.NotZero(t, first, "%s: computed by the first call", inv.MethodName())
				}
				require.Equal(t, hosts(sequential(t, c, list, inv)), hosts(got))
				require.Zero(t, testing.AllocsPerRun(10, func() { c.Route(list, inv) }), "%s: cached", inv.MethodName())
			}
		})
	}
}
