package router

import (
	"fmt"
	"github.com/fleetrpc/fleet/protocol"
)

// The chain's result cache: candidate lists (listTable, listEntry), the
// routed list of each by combination of outcomes (results.go), and the
// method-name decisions.

// listKey identifies a candidate list by its first element's address and
// its length (Route's contract: a list is held, unmodified, for the chain's
// lifetime, and the cache keeps it reachable, so the address is not reused).
type listKey struct {
	first *protocol.Invoker
	n     int
}

// listTable holds a chain's candidate lists: the first few in a slice,
// scanned (cheaper than hashing), the rest in a map. Immutable once stored.
type listTable struct {
	few  []*listEntry
	more map[listKey]*listEntry
}

// scanned is how many lists listTable keeps in its slice.
const scanned = 8

func (t *listTable) get(candidates []protocol.Invoker) (*listEntry, bool) {
	first := &candidates[0]
	for _, e := range t.few {
		if &e.list[0] == first && len(e.list) == len(candidates) {
			return e, true
		}
	}
	if t.more == nil {
		return nil, false
	}
	e, ok := t.more[listKey{first, len(candidates)}]
	return e, ok
}

func (t *listTable) len() int { return len(t.few) + len(t.more) }

// with returns a copy of t holding e too.
func (t *listTable) with(e *listEntry) *listTable {
	n := &listTable{}
	if t != nil {
		n.few = t.few
		n.more = t.more
	}
	if len(n.few) < scanned {
		n.few = append(n.few[:len(n.few):len(n.few)], e)
		return n
	}
	m := make(map[listKey]*listEntry, len(n.more)+1)
	for k, v := range n.more {
		m[k] = v
	}
	m[listKey{&e.list[0], len(e.list)}] = e
	n.more = m
	return n
}

// listEntry is a candidate list with the snapshot position of each element
// (nil for the snapshot's own list) and its routed results by combination
// of outcomes.
type listEntry struct {
	list []protocol.Invoker
	pos  []int32
	ok   bool // false: an element is not one of the snapshot's invokers
	res  results
}

// buildIndex maps the snapshot's invokers to their positions, on the first
// candidate list that is not the snapshot's own; c.mu is held.
func (c *Chain) buildIndex() {
	c.indexed = true
	index := make(map[protocol.Invoker]int32, len(c.invokers))
	for i, inv := range c.invokers {
		if !comparable(inv) {
			return
		}
		index[inv] = int32(i)
	}
	c.index = index
}

// part is the stage's share of a call's combination of outcomes.
func (s *stage) part(inv protocol.Invocation) uint64 {
	if d := s.decide(inv); d > 0 && d < len(s.outcomes) {
		return uint64(d) * s.stride
	}
	return 0
}

// maxMethods bounds the method names whose decisions a chain caches.
const maxMethods = 1 << 12

// methodPart is the byMethod stages' share of a call's combination,
// decided once per method name.
func (c *Chain) methodPart(inv protocol.Invocation) uint64 {
	if inv == nil {
		return c.decideByMethod(inv)
	}
	name := protocol.RealMethodName(inv)
	if m := c.methods.Load(); m != nil {
		if k, ok := (*m)[name]; ok {
			return k
		}
	}
	k := c.decideByMethod(inv)
	c.mu.Lock()
	defer c.mu.Unlock()
	old := c.methods.Load()
	if old != nil && len(*old) >= maxMethods {
		return k
	}
	m := make(map[string]uint64, 1+lenMethods(old))
	if old != nil {
		for n, v := range *old {
			m[n] = v
		}
	}
	m[name] = k
	c.methods.Store(&m)
	return k
}

func (c *Chain) decideByMethod(inv protocol.Invocation) uint64 {
	k := uint64(0)
	for _, i := range c.byMethod {
		k += c.stages[i].part(inv)
	}
	return k
}

func lenMethods(m *map[string]uint64) int {
	if m == nil {
		return 0
	}
	return len(*m)
}

// lookup returns the cache entry of candidates, creating it on first use;
// nil when candidates cannot be routed with pools.
func (c *Chain) lookup(candidates []protocol.Invoker) *listEntry {
	if c.all != nil && len(candidates) == len(c.invokers) && &candidates[0] == &c.invokers[0] {
		return c.all
	}
	if t := c.entries.Load(); t != nil {
		if e, ok := t.get(candidates); ok {
			return e.usable()
		}
	}
	return c.add(candidates).usable()
}

func (e *listEntry) usable() *listEntry {
	if e == nil || !e.ok {
		return nil
	}
	return e
}

// add creates the entry of a candidate list; nil when the cache is full.
func (c *Chain) add(candidates []protocol.Invoker) *listEntry {
	c.mu.Lock()
	defer c.mu.Unlock()
	old := c.entries.Load()
	if old != nil {
		if e, ok := old.get(candidates); ok {
			return e
		}
		if old.len() >= maxLists {
			if !c.overflow.Swap(true) {
				c.logger.Warn("router chain caches no more candidate lists, routing further ones per call", "lists", old.len())
			}
			return nil
		}
	}
	e := &listEntry{list: candidates}
	if pos, ok := subsequence(c.invokers, candidates); ok {
		// A per-method list keeps the snapshot's order: its positions
		// come from one walk, without the index.
		e.pos, e.ok = pos, true
		e.res.init(c.dense, c.combos)
		c.entries.Store(old.with(e))
		return e
	}
	if !c.indexed {
		c.buildIndex()
	}
	if c.index != nil {
		pos := make([]int32, len(candidates))
		ok := true
		for j, inv := range candidates {
			i, found := int32(0), false
			if comparable(inv) {
				i, found = c.index[inv]
			}
			if !found {
				ok = false
				break
			}
			pos[j] = i
		}
		if ok {
			e.pos, e.ok = pos, true
			e.res.init(c.dense, c.combos)
		}
	}
	c.entries.Store(old.with(e))
	return e
}

// subsequence returns the positions in all of list's invokers when list is
// a subsequence of all (the same values, in all's order), by one walk over
// both.
func subsequence(all, list []protocol.Invoker) ([]int32, bool) {
	pos := make([]int32, len(list))
	var cmp comparer
	j := 0
	for k, x := range list {
		if !cmp.ok(x) {
			return nil, false
		}
		for j < len(all) && all[j] != x {
			j++
		}
		if j == len(all) {
			return nil, false
		}
		pos[k] = int32(j)
		j++
	}
	return pos, true
}

// fill computes and caches the result of combination k for e.
func (c *Chain) fill(e *listEntry, k uint64) *[]protocol.Invoker {
	out := c.compute(e, k)
	return e.res.store(k, &out)
}

// compute applies the compiled stages' outcomes of combination k to e's
// list with pools over the list's positions.
func (c *Chain) compute(e *listEntry, k uint64) []protocol.Invoker {
	n := len(e.list)
	set, tmp := FullPool(n), NewPool(n)
	for i := 0; i < c.compiled; i++ {
		s := &c.stages[i]
		o := s.outcomes[(k/s.stride)%uint64(len(s.outcomes))]
		if o.All {
			continue
		}
		e.project(tmp, o.Pool)
		tmp.and(set)
		if tmp.Empty() {
			switch {
			case o.Fallback != nil:
				e.project(tmp, *o.Fallback)
				tmp.and(set)
				if tmp.Empty() {
					return []protocol.Invoker{}
				}
			case o.Force:
				// Java's condition router logs this per call; once per chain
				// is enough. The built-in mock and tag routers' forced
				// outcomes are their normal answers, as in Java.
				if _, builtin := s.router.(Kinded); !builtin && !c.forced.Swap(true) {
					c.logger.Warn("route result is empty and force execute", "service", c.consumer.ServiceKey(),
						"router", fmt.Sprint(s.router), "providers", n)
				}
				return []protocol.Invoker{}
			default:
				continue
			}
		}
		set, tmp = tmp, set
	}
	if set.full() {
		return e.list
	}
	out := make([]protocol.Invoker, 0, set.Count())
	set.each(func(j int) { out = append(out, e.list[j]) })
	return out
}

// project sets dst to the members of pool (over the snapshot's invokers)
// by their positions in e's list.
func (e *listEntry) project(dst, pool Pool) {
	if e.pos == nil {
		dst.copyFrom(pool)
		return
	}
	clear(dst.words)
	for j, p := range e.pos {
		if pool.Has(int(p)) {
			dst.Add(j)
		}
	}
}
