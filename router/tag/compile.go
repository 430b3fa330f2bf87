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
// so the router is not PerInvoker: a new snapshot compiles it in full
// (one pass over the providers).
func (r *Router) Compile(consumer *common.URL, invokers []protocol.Invoker) (router.Compiled, error) {
	n := len(invokers)
	rule := r.active()
	ct, cf := consumerDefaults(consumer)

	// The static tag of each provider, and the tags' indexes.
	index := map[string]int{}
	var names []string
	add := func(name string) {
		if _, ok := index[name]; !ok && name != "" {
			index[name] = len(names)
			names = append(names, name)
		}
	}
	static := make([]string, n)
	for i, x := range invokers {
		static[i] = staticTag(x)
		add(static[i])
	}
	if rule != nil {
		for _, t := range rule.Tags {
			add(t.Name)
		}
	}
	byStatic := make([]router.Pool, len(names))
	for i := range byStatic {
		byStatic[i] = router.NewPool(n)
	}
	untagged := router.NewPool(n)
	for i, st := range static {
		if st == "" {
			untagged.Add(i)
		} else {
			byStatic[index[st]].Add(i)
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
				if rule.Tags[j].holds(x.URL()) {
					held[j].Add(i)
					inRule.Add(i)
				}
			}
		}
		through, plain := router.NewPool(n), router.NewPool(n)
		for i, st := range static {
			if inRule.Has(i) {
				continue
			}
			if st == "" {
				through.Add(i)
			}
			if st == "" || rule.tag(st) == nil {
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
	}, nil
}

func ruleTagIndex(r *Rule, name string) int {
	for j := range r.Tags {
		if r.Tags[j].Name == name {
			return j
		}
	}
	return -1
}
