package cluster

import (
	"slices"

	"github.com/fleetrpc/fleet/cluster/loadbalance"
	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/directory"
	"github.com/fleetrpc/fleet/protocol"
)

// Selector is the select step every strategy shares (Java's
// AbstractClusterInvoker.select, doSelect and reselect; cluster.md §2),
// for strategies written outside this package: it picks the provider of
// one attempt and holds the cluster invoker's sticky invoker. Each cluster
// invoker has its own (NewSelector); it is safe for concurrent use.
type Selector struct {
	dir            directory.Directory // immutable: its URL is the consumer the balancer sees
	availableCheck bool                // immutable: cluster.availablecheck
	sticky         *sticky
	params         *paramCache
}

// NewSelector returns the selector of a cluster invoker over dir: the
// consumer URL the balancer sees is dir's, and dir's URL param
// cluster.availablecheck (default true) makes select avoid unavailable
// providers.
func NewSelector(dir directory.Directory) *Selector {
	return &Selector{
		dir:            dir,
		availableCheck: dir.URL().ParamBool(AvailableCheckKey, true),
		sticky:         &sticky{},
		params:         &paramCache{},
	}
}

// selector is the Selector over c's own state.
func (c *base) selector() Selector {
	return Selector{dir: c.dir, availableCheck: c.availableCheck, sticky: &c.sticky, params: &c.params}
}

// selectInvoker is Select with c's selector.
func (c *base) selectInvoker(lb loadbalance.LoadBalance, inv protocol.Invocation, candidates, selected []protocol.Invoker) protocol.Invoker {
	s := c.selector()
	return s.Select(lb, inv, candidates, selected)
}

// Select picks the provider of one attempt among candidates, avoiding the
// invokers in selected (tried already) and, unless cluster.availablecheck
// is false, unavailable ones.
//
// With the sticky method param of the first candidate's URL true, the
// invoker chosen last time is kept while it is among the candidates, not
// in selected and available. Otherwise lb picks; a pick that was tried
// already or is unavailable leads to Reselect; when that finds nothing,
// the candidate after the pick is taken. One candidate is taken even when
// unavailable. Nil only for no candidates.
//
// It does not allocate unless it has to reselect.
func (s *Selector) Select(lb loadbalance.LoadBalance, inv protocol.Invocation, candidates, selected []protocol.Invoker) protocol.Invoker {
	if len(candidates) == 0 {
		return nil
	}
	isSticky := s.params.get(candidates[0].URL(), protocol.RealMethodName(inv)).sticky
	held := s.sticky.get()
	if held != nil && !slices.Contains(candidates, held) {
		s.sticky.forget(held)
		held = nil
	}
	if isSticky && held != nil && !slices.Contains(selected, held) && s.availableCheck && held.IsAvailable() {
		return held
	}
	p := s.doSelect(lb, inv, candidates, selected)
	if isSticky {
		s.sticky.set(p)
	}
	return p
}

// Sticky returns the sticky invoker held, nil when none.
func (s *Selector) Sticky() protocol.Invoker { return s.sticky.get() }

func (s *Selector) doSelect(lb loadbalance.LoadBalance, inv protocol.Invocation, candidates, selected []protocol.Invoker) protocol.Invoker {
	if len(candidates) == 1 {
		return candidates[0]
	}
	consumer := s.dir.URL()
	p := lb.Select(candidates, consumer, inv)
	if p == nil {
		p = candidates[0]
	}
	if slices.Contains(selected, p) || (s.availableCheck && !p.IsAvailable()) {
		if rp := Reselect(lb, consumer, inv, candidates, selected, s.availableCheck); rp != nil {
			return rp
		}
		for i, iv := range candidates {
			if iv == p {
				return candidates[(i+1)%len(candidates)]
			}
		}
	}
	return p
}

// Reselect is Java's reselect: lb picks among the candidates that are
// available (when availableCheck) and not in selected; failing that, among
// the available members of selected; nil when there are none either.
// consumer is the URL the balancer sees. It allocates the list it picks
// from.
func Reselect(lb loadbalance.LoadBalance, consumer *common.URL, inv protocol.Invocation, candidates, selected []protocol.Invoker, availableCheck bool) protocol.Invoker {
	var pool []protocol.Invoker
	for _, iv := range candidates {
		if availableCheck && !iv.IsAvailable() {
			continue
		}
		if !slices.Contains(selected, iv) {
			pool = append(pool, iv)
		}
	}
	if len(pool) > 0 {
		return lb.Select(pool, consumer, inv)
	}
	for _, iv := range selected {
		if iv.IsAvailable() && !slices.Contains(pool, iv) {
			pool = append(pool, iv)
		}
	}
	if len(pool) > 0 {
		return lb.Select(pool, consumer, inv)
	}
	return nil
}
