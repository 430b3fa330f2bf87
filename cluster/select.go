package cluster

import (
	"github.com/fleetrpc/fleet/cluster/loadbalance"
	"github.com/fleetrpc/fleet/protocol"
	"slices"
)

// selectInvoker is Java's select (cluster.md §2): it picks the provider of
// one attempt among candidates, avoiding the invokers in selected (tried
// already) and, unless cluster.availablecheck=false, unavailable ones.
//
// With the sticky method param of the first candidate's URL true, the
// invoker chosen last time is kept while it is among the candidates, not
// in selected and available. Otherwise lb picks; a pick that was tried
// already or is unavailable leads to reselect; when reselect finds nothing,
// the candidate after the pick is taken. Nil only for no candidates.
//
// It does not allocate unless it has to reselect.
func (c *base) selectInvoker(lb loadbalance.LoadBalance, inv protocol.Invocation, candidates, selected []protocol.Invoker) protocol.Invoker {
	if len(candidates) == 0 {
		return nil
	}
	isSticky := c.params.get(candidates[0].URL(), protocol.RealMethodName(inv)).sticky
	held := c.sticky.get()
	if held != nil && !slices.Contains(candidates, held) {
		c.sticky.forget(held)
		held = nil
	}
	if isSticky && held != nil && !slices.Contains(selected, held) && c.availableCheck && held.IsAvailable() {
		return held
	}
	p := c.doSelect(lb, inv, candidates, selected)
	if isSticky {
		c.sticky.set(p)
	}
	return p
}

func (c *base) doSelect(lb loadbalance.LoadBalance, inv protocol.Invocation, candidates, selected []protocol.Invoker) protocol.Invoker {
	if len(candidates) == 1 {
		return candidates[0]
	}
	consumer := c.dir.URL()
	p := lb.Select(candidates, consumer, inv)
	if p == nil {
		p = candidates[0]
	}
	if slices.Contains(selected, p) || (c.availableCheck && !p.IsAvailable()) {
		if rp := c.reselect(lb, inv, candidates, selected); rp != nil {
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

// reselect picks among the candidates that are available (when checking)
// and not selected; failing that among the available members of selected.
func (c *base) reselect(lb loadbalance.LoadBalance, inv protocol.Invocation, candidates, selected []protocol.Invoker) protocol.Invoker {
	consumer := c.dir.URL()
	var pool []protocol.Invoker
	for _, iv := range candidates {
		if c.availableCheck && !iv.IsAvailable() {
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
