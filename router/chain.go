package router

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"reflect"
	"sort"
	"sync"
	"sync/atomic"

	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/protocol"
)

const (
	// maxDense bounds the combinations of outcomes for which a chain keeps
	// a slot per combination and candidate list; with more, it keeps the
	// combinations calls actually take, in a map.
	maxDense = 1 << 10
	// maxSparse bounds the combinations cached per candidate list in that
	// map; further ones are routed per call.
	maxSparse = 1 << 10
	// maxLists bounds the candidate lists a chain caches results for;
	// further lists are routed per call.
	maxLists = 1 << 10
	// prepareCombos: Prepare fills every result when there are at most this
	// many combinations, and leaves them to the first calls otherwise.
	prepareCombos = 64
	// prepareSlots bounds the work of one Prepare: the combinations times
	// the invokers of the lists it fills. Beyond it (a few combinations of
	// 100,000 providers) the results are left to the first calls, which
	// compute only the combinations calls take, each once per chain.
	prepareSlots = 1 << 18
)

// Chain routes the calls of one directory snapshot through its routers, in
// priority order. It is built off the call path, when the providers or the
// rules change, and is immutable afterwards except for its result cache,
// which is safe for concurrent use.
//
// Routers that implement Compilable are compiled when the chain is built:
// each contributes pools over the snapshot's invokers, and a call only picks
// an outcome per router (most rules have a single one; routers that read
// only the method are decided once per method name) and reads the result
// cached for that combination and that candidate list, so a routed call
// takes no lock and does not allocate once the result is cached. Starting
// with the first router (in run order) that is not Compilable, routers run
// per call through Route.
type Chain struct {
	// Immutable after NewChain.
	routers  []Router // sorted by priority, stable
	stages   []stage  // routers with Sequences expanded, in run order
	compiled int      // stages[:compiled] are compiled
	dynamic  []int    // indexes of compiled stages with more than one outcome, not in byMethod
	byMethod []int    // indexes of dynamic compiled stages decided by method name, when there are 2 or more
	combos   uint64   // product of the compiled stages' outcome counts; 0: too many to cache
	dense    bool     // combos <= maxDense
	consumer *common.URL
	invokers []protocol.Invoker // the snapshot's invokers
	logger   *slog.Logger
	all      *listEntry // the entry of invokers itself; nil when not cached

	// Result cache: entries is replaced whole (copy on write) under mu; see
	// results for each entry's.
	mu       sync.Mutex
	indexed  bool                       // mu; index is built
	index    map[protocol.Invoker]int32 // mu; position in invokers, nil when unusable
	entries  atomic.Pointer[listTable]
	methods  atomic.Pointer[map[string]uint64] // byMethod stages' part of the combination, by method name; copy on write under mu
	overflow atomic.Bool                       // maxLists reached (logged once)
	forced   atomic.Bool                       // a forced rule emptied a list (logged once)
}

type stage struct {
	router     Router
	outcomes   []Outcome // nil when not compiled
	decide     func(protocol.Invocation) int
	perInvoker bool
	byMethod   bool
	state      any  // Compiled.State
	next       bool // compiled without error by an Incremental router: CompileNext may start from it
	stride     uint64
	err        error // the compile error: the stage leaves calls unrouted
}

// NewChain returns the chain of routers (sorted by ascending priority,
// ties keeping their order) for the snapshot's invokers and the consumer
// URL the routers see. It does not keep routers' slice; it keeps invokers,
// which the caller must not modify afterwards. A Sequence runs its members
// in its place. Compilable routers are compiled here; a compile error is
// logged and the router then leaves calls unrouted. A nil logger is
// slog.Default().
func NewChain(routers []Router, invokers []protocol.Invoker, consumer *common.URL, logger *slog.Logger) *Chain {
	return newChain(routers, invokers, consumer, logger, nil, nil)
}

// Next returns the chain of routers for the next snapshot's invokers and
// consumer URL, as NewChain would with c's logger, but reusing what c
// compiled: for a router that c also has (the same value), when the
// consumer URL reads the same as c's (FullString: URL.Equal would ignore
// the timestamp, which a rule may read) and the router's Compiled is
// PerInvoker, only the invokers that are not in c (by identity) are
// compiled; an Incremental router compiles through CompileNext, from what
// it compiled for c. A directory builds each snapshot's chain from the previous one
// this way, so that a notification changing a few of many providers costs
// in proportion to the change, not to the providers times the rules. c is
// not changed and stays usable.
func (c *Chain) Next(routers []Router, invokers []protocol.Invoker, consumer *common.URL) *Chain {
	var prev *Chain
	if c.consumer == consumer || (c.consumer != nil && consumer != nil && c.consumer.FullString() == consumer.FullString()) {
		prev = c
	}
	return newChain(routers, invokers, consumer, c.logger, prev, nil)
}

// NextMoved is Next when the caller knows how invokers were made from c's
// (a directory that edited its list): m maps them (see Moves), so that c's
// work is reused without looking every invoker up. Moves that do not fit
// (their lengths, or the ends of a run not the same values in both
// snapshots) are ignored, and the invokers are looked up as Next does.
func (c *Chain) NextMoved(routers []Router, invokers []protocol.Invoker, consumer *common.URL, m Moves) *Chain {
	var prev *Chain
	if c.consumer == consumer || (c.consumer != nil && consumer != nil && c.consumer.FullString() == consumer.FullString()) {
		prev = c
	}
	var r *reuse
	if prev != nil && m.fits(c.invokers, invokers) {
		r = reuseOf(m, invokers)
	}
	return newChain(routers, invokers, consumer, c.logger, prev, r)
}

// fits checks m against the snapshots it maps: their lengths, and that
// each run starts and ends on the same values.
func (m Moves) fits(prev, next []protocol.Invoker) bool {
	if m.n != len(next) || m.prev != len(prev) {
		return false
	}
	var cmp comparer
	for _, r := range m.runs {
		for _, d := range [2]int{0, r.Len - 1} {
			x := next[r.At+d]
			if !cmp.ok(x) || prev[r.From+d] != x {
				return false
			}
		}
	}
	return true
}

func newChain(routers []Router, invokers []protocol.Invoker, consumer *common.URL, logger *slog.Logger, prev *Chain, reuse *reuse) *Chain {
	sorted := append([]Router(nil), routers...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].Priority() < sorted[j].Priority() })
	c := &Chain{routers: sorted, consumer: consumer, invokers: invokers}
	if prev != nil {
		c.logger = logger // already With component
	} else {
		if logger == nil {
			logger = slog.Default()
		}
		c.logger = logger.With("component", "router")
	}
	for _, r := range sorted {
		c.stages = appendStages(c.stages, r)
	}
	c.compile(prev, reuse)
	return c
}

func appendStages(stages []stage, r Router) []stage {
	if s, ok := r.(Sequence); ok {
		for _, m := range s.Members() {
			stages = appendStages(stages, m)
		}
		return stages
	}
	return append(stages, stage{router: r})
}

// compile compiles the leading Compilable routers, reusing prev's work
// where it can (see Next), and prepares the cache. reuse, when not nil,
// maps the invokers to prev's.
func (c *Chain) compile(prev *Chain, reuse *reuse) {
	for i := range c.stages {
		s := &c.stages[i]
		cr, ok := s.router.(Compilable)
		if !ok {
			break
		}
		var comp Compiled
		var err error
		ok = false
		if ps := prev.stageOf(s.router); ps != nil {
			if reuse == nil {
				reuse = newReuse(prev.invokers, c.invokers)
			}
			if ps.perInvoker {
				comp, ok = reuse.compile(cr, c.consumer, ps)
			} else if inc, isInc := cr.(Incremental); isInc {
				// A failed CompileNext falls back to a full compile.
				comp, err = safeCompileNext(inc, ps.compiledValue(), c.consumer, c.invokers, reuse.moves)
				ok, err = err == nil, nil
			}
		}
		if !ok {
			comp, err = safeCompile(cr, c.consumer, c.invokers)
		}
		if err != nil {
			c.logger.Warn("router failed to compile, calls left unrouted by it", "rule", describe(s.router), "error", err)
			comp = Compiled{Outcomes: []Outcome{{All: true}}}
			s.err = err
		}
		s.outcomes, s.decide, s.perInvoker, s.byMethod = comp.Outcomes, comp.Decide, comp.PerInvoker, comp.ByMethod
		if _, isInc := cr.(Incremental); isInc && err == nil {
			s.state, s.next = comp.State, true
		}
		c.compiled++
	}
	if c.compiled == 0 {
		return
	}
	combos := uint64(1)
	for i := 0; i < c.compiled; i++ {
		s := &c.stages[i]
		s.stride = combos
		n := uint64(len(s.outcomes))
		if n > 1 && s.decide != nil {
			if s.byMethod {
				c.byMethod = append(c.byMethod, i)
			} else {
				c.dynamic = append(c.dynamic, i)
			}
		}
		if combos > math.MaxUint64/n {
			c.logger.Warn("router chain has too many outcome combinations to cache, routing per call", "routers", c.compiled)
			combos = 0
			break
		}
		combos *= n
	}
	c.combos, c.dense = combos, combos > 0 && combos <= maxDense
	if len(c.byMethod) < 2 { // one Decide is as cheap as a lookup
		c.dynamic = append(c.dynamic, c.byMethod...)
		c.byMethod = nil
	}
	if combos == 0 || len(c.invokers) == 0 {
		return
	}
	c.all = &listEntry{list: c.invokers, ok: true}
	c.all.res.init(c.dense, combos)
}

// safeCompile compiles cr over invokers and checks the result; a panic in
// Compile is an error, as Java catches everything a router throws.
func safeCompile(cr Compilable, consumer *common.URL, invokers []protocol.Invoker) (comp Compiled, err error) {
	defer func() {
		if p := recover(); p != nil {
			comp, err = Compiled{}, fmt.Errorf("router: compile panicked: %v", p)
		}
	}()
	comp, err = cr.Compile(consumer, invokers)
	if err == nil {
		err = check(comp, len(invokers))
	}
	return comp, err
}

// safeCompileNext is safeCompile for Incremental.CompileNext.
func safeCompileNext(ir Incremental, prev Compiled, consumer *common.URL, invokers []protocol.Invoker, m Moves) (comp Compiled, err error) {
	defer func() {
		if p := recover(); p != nil {
			comp, err = Compiled{}, fmt.Errorf("router: compile panicked: %v", p)
		}
	}()
	comp, err = ir.CompileNext(prev, consumer, invokers, m)
	if err == nil {
		err = check(comp, len(invokers))
	}
	return comp, err
}

// compiledValue is the Compiled the stage was built from.
func (s *stage) compiledValue() Compiled {
	return Compiled{Outcomes: s.outcomes, Decide: s.decide, PerInvoker: s.perInvoker, ByMethod: s.byMethod, State: s.state}
}

func check(comp Compiled, n int) error {
	if len(comp.Outcomes) == 0 {
		return errNoOutcome
	}
	for _, o := range comp.Outcomes {
		if !o.All && (o.Pool.Size() != n || (o.Fallback != nil && o.Fallback.Size() != n)) {
			return errPoolSize
		}
	}
	return nil
}

func comparable(inv protocol.Invoker) bool { return comparableType(inv) }

// comparableType reports whether v's dynamic type can be compared with ==.
func comparableType(v any) bool {
	t := reflect.TypeOf(v)
	return t != nil && t.Comparable()
}

// Routers lists the chain's routers in the order they run (a Sequence as
// itself). The caller must not modify the slice.
func (c *Chain) Routers() []Router { return c.routers }

// Consumer returns the consumer URL the routers see.
func (c *Chain) Consumer() *common.URL { return c.consumer }

// Invokers returns the snapshot's invokers the chain was built for. The
// caller must not modify the slice.
func (c *Chain) Invokers() []protocol.Invoker { return c.invokers }

// Route returns the invokers of candidates that inv may reach, in
// candidates' order. candidates must be the snapshot's invokers or a slice
// of them that the snapshot holds, unmodified, for the chain's lifetime (a
// per-method list): the chain caches results per candidate slice,
// identified by its first element's address and its length. A router that
// fails is logged (at Debug) and skipped. The result must not be modified
// or appended to; it may be candidates itself. Lists that are not made of
// the snapshot's invokers, and lists beyond the cache's bound (1,024 per
// chain), are routed per call, which allocates.
//
// Route is safe for concurrent use. Once the result for a candidate list
// and a combination of outcomes is cached, it takes no lock and does not
// allocate (unless a router that is not Compilable does).
func (c *Chain) Route(candidates []protocol.Invoker, inv protocol.Invocation) []protocol.Invoker {
	if len(candidates) == 0 || len(c.stages) == 0 {
		return candidates
	}
	out := candidates
	if c.compiled > 0 {
		out = c.routeCompiled(candidates, inv)
	}
	if c.compiled < len(c.stages) {
		out = c.routeEach(c.stages[c.compiled:], out, inv)
	}
	return out
}

// Prepare computes, ahead of calls, what Route needs for each of lists (the
// snapshot's per-method lists): their positions, and their results when the
// routers have few combinations of outcomes and the lists are not too long
// for all of them (prepareSlots). It is optional; Route does the same on
// first use. Lists follow Route's contract.
func (c *Chain) Prepare(lists ...[]protocol.Invoker) {
	if c.combos == 0 {
		return
	}
	budget := uint64(prepareSlots)
	for _, l := range lists {
		if len(l) == 0 {
			continue
		}
		e := c.lookup(l)
		if e == nil || !c.dense || c.combos > prepareCombos || c.combos*uint64(len(l)) > budget {
			continue
		}
		budget -= c.combos * uint64(len(l))
		for k := uint64(0); k < c.combos; k++ {
			if e.res.load(k) == nil {
				c.fill(e, k)
			}
		}
	}
}

func (c *Chain) routeCompiled(candidates []protocol.Invoker, inv protocol.Invocation) []protocol.Invoker {
	var e *listEntry
	if c.combos > 0 {
		e = c.lookup(candidates)
	}
	if e == nil {
		return c.routeEach(c.stages[:c.compiled], candidates, inv)
	}
	k := uint64(0)
	if c.byMethod != nil {
		k = c.methodPart(inv)
	}
	for _, i := range c.dynamic {
		k += c.stages[i].part(inv)
	}
	p := e.res.load(k)
	if p == nil {
		p = c.fill(e, k)
	}
	return *p
}

// routeEach runs stages one by one through Route.
func (c *Chain) routeEach(stages []stage, list []protocol.Invoker, inv protocol.Invocation) []protocol.Invoker {
	for i := range stages {
		if len(list) == 0 {
			return list
		}
		r := stages[i].router
		routed, err := safeRoute(r, list, c.consumer, inv)
		if err != nil {
			if c.logger.Enabled(context.Background(), slog.LevelDebug) {
				c.logger.Debug("router failed, call left unrouted by it", "rule", describe(r), "error", err)
			}
			continue
		}
		list = routed
	}
	return list
}

// safeRoute is r.Route with a panic turned into an error.
func safeRoute(r Router, list []protocol.Invoker, consumer *common.URL, inv protocol.Invocation) (routed []protocol.Invoker, err error) {
	defer func() {
		if p := recover(); p != nil {
			routed, err = nil, fmt.Errorf("router: route panicked: %v", p)
		}
	}()
	return r.Route(list, consumer, inv)
}
