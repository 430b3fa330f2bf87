package tag

import (
	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/protocol"
	"github.com/fleetrpc/fleet/router"
)

// Compile implements router.Compilable. The tags a call may name that
// route differently are known from the snapshot: the providers' static
// tags and the rule's tag names; every other tag routes as an unknown one.
// Each gets two outcomes (dubbo.force.tag false and true), plus one for an
// untagged call, so Decide only reads the call's two attachments and looks
// the tag up in a map. The outcomes depend on the snapshot's set of tags,
// so the router is not PerInvoker; it is router.Incremental instead: the
// next snapshot's compile takes each kept provider's tag and rule
// membership from this one and reads only the new providers' URLs.
func (r *Router) Compile(consumer *common.URL, invokers []protocol.Invoker) (router.Compiled, error) {
	return r.compile(consumer, invokers, nil, nil), nil
}

// CompileNext implements router.Incremental: Compile over invokers, reading
// the URL of the invokers new since prev only. A prev that is not this
// router's compile is compiled in full.
func (r *Router) CompileNext(prev router.Compiled, consumer *common.URL, invokers []protocol.Invoker, from []int32) (router.Compiled, error) {
	st, ok := prev.State.(*compileState)
	if !ok || st.rule != r.active() || len(from) != len(invokers) {
		return r.Compile(consumer, invokers)
	}
	return r.compile(consumer, invokers, st, from), nil
}

// compileState is what a compile records for the next one: per invoker
// its static tag, as an index in names (-1: untagged), and per rule tag
// the invokers it holds. Immutable.
type compileState struct {
	rule  *Rule // the active rule compiled with; nil for static tags
	names []string
	tags  []int32
	held  []router.Pool
}

// compile is Compile, taking what it can from prev (nil: nothing): the
// invoker at i is prev's invoker from[i] when that is >= 0.
func (r *Router) compile(consumer *common.URL, invokers []protocol.Invoker, prev *compileState, from []int32) router.Compiled {
	n := len(invokers)
	rule := r.active()
	ct, cf := consumerDefaults(consumer)
	old := func(i int) int { // i's index in prev, -1 when new
		if prev == nil || from[i] < 0 || int(from[i]) >= len(prev.tags) {
			return -1
		}
		return int(from[i])
	}

	// The static tag of each provider, and the tags' indexes, in order of
	// first appearance (as a compile from scratch numbers them).
	index := map[string]int{}
	var names []string
	add := func(name string) int32 {
		if name == "" {
			return -1
		}
		i, ok := index[name]
		if !ok {
			i = len(names)
			index[name] = i
			names = append(names, name)
		}
		return int32(i)
	}
	var remap []int32 // prev's tag index → this compile's, -2 until seen
	if prev != nil {
		remap = make([]int32, len(prev.names))
		for i := range remap {
			remap[i] = -2
		}
	}
	tags := make([]int32, n)
	for i, x := range invokers {
		if p := old(i); p >= 0 {
			t := prev.tags[p]
			if t >= 0 {
				if remap[t] == -2 {
					remap[t] = add(prev.names[t])
				}
				t = remap[t]
			}
			tags[i] = t
			continue
		}
		tags[i] = add(staticTag(x))
	}
	if rule != nil {
		for _, t := range rule.Tags {
			add(t.Name)
		}
	}
	state := &compileState{rule: rule, names: names, tags: tags}
	byStatic := make([]router.Pool, len(names))
	for i := range byStatic {
		byStatic[i] = router.NewPool(n)
	}
	untagged := router.NewPool(n)
	for i, t := range tags {
		if t < 0 {
			untagged.Add(i)
		} else {
			byStatic[t].Add(i)
		}
	}
	none := router.NewPool(n)

	outcomes := make([]router.Outcome, 1+2*(len(names)+1))
	set := func(i int, notForced, forced router.Outcome) {
		outcomes[1+2*i], outcomes[2+2*i] = notForced, forced
	}
	if rule == nil {
		outcomes[0] = router.Outcome{Pool: untagged, Force: true}
		for i := range names {
			set(i, router.Outcome{Pool: byStatic[i], Fallback: &untagged}, router.Outcome{Pool: byStatic[i], Force: true})
		}
		set(len(names), router.Outcome{Pool: none, Fallback: &untagged}, router.Outcome{Pool: none, Force: true})
	} else {
		// Which providers each rule tag holds, and the fall-through pool:
		// providers no rule tag holds and with no static tag.
		held := make([]router.Pool, len(rule.Tags))
		inRule := router.NewPool(n)
		for j := range rule.Tags {
			held[j] = router.NewPool(n)
			for i, x := range invokers {
				in := false
				if p := old(i); p >= 0 {
					in = prev.held[j].Has(p)
				} else {
					in = rule.Tags[j].holds(x.URL())
				}
				if in {
					held[j].Add(i)
					inRule.Add(i)
				}
			}
		}
		state.held = held
		// Whether each static tag is a rule tag's name.
		named := make([]bool, len(names))
		for i, name := range names {
			named[i] = rule.tag(name) != nil
		}
		through, plain := router.NewPool(n), router.NewPool(n)
		for i, t := range tags {
			if inRule.Has(i) {
				continue
			}
			if t < 0 {
				through.Add(i)
			}
			if t < 0 || !named[t] {
				plain.Add(i)
			}
		}
		outcomes[0] = router.Outcome{Pool: plain, Force: true}
		for i, name := range names {
			static := byStatic[i]
			if j := ruleTagIndex(rule, name); j >= 0 && (rule.Tags[j].hasAddresses() || rule.Tags[j].byMatch()) {
				forced := router.Outcome{Pool: held[j], Force: true}
				if rule.Force {
					set(i, forced, forced)
				} else {
					set(i, router.Outcome{Pool: held[j], Fallback: &through}, forced)
				}
				continue
			}
			set(i, router.Outcome{Pool: static, Fallback: &through}, router.Outcome{Pool: static, Force: true})
		}
		set(len(names), router.Outcome{Pool: none, Fallback: &through}, router.Outcome{Pool: none, Force: true})
	}
	unknown := len(names)
	return router.Compiled{
		State:    state,
		Outcomes: outcomes,
		Decide: func(inv protocol.Invocation) int {
			t, force := request(ct, cf, inv)
			if t == "" {
				return 0
			}
			i, ok := index[t]
			if !ok {
				i = unknown
			}
			if force {
				return 2 + 2*i
			}
			return 1 + 2*i
		},
	}
}

func ruleTagIndex(r *Rule, name string) int {
	for j := range r.Tags {
		if r.Tags[j].Name == name {
			return j
		}
	}
	return -1
}
