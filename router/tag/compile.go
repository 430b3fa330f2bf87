package tag

import (
	"slices"

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
	return r.compile(consumer, invokers, nil, router.Moves{}), nil
}

// CompileNext implements router.Incremental: Compile over invokers, reading
// the URL of the invokers new since prev only; the kept invokers' tags and
// rule membership are prev's pools moved by m, a word at a time. A prev
// that is not this router's compile, or does not fit m, is compiled in
// full.
func (r *Router) CompileNext(prev router.Compiled, consumer *common.URL, invokers []protocol.Invoker, m router.Moves) (router.Compiled, error) {
	st, ok := prev.State.(*compileState)
	if !ok || st.rule != r.active() || m.Len() != len(invokers) || m.PrevLen() != st.untagged.Size() {
		return r.Compile(consumer, invokers)
	}
	return r.compile(consumer, invokers, st, m), nil
}

// compileState is what a compile records for the next one: the tags'
// names (static tags in order of first appearance, then the rule's other
// tag names), per name the invokers with that static tag, the untagged
// invokers, and per rule tag the invokers it holds. Immutable: the pools
// are the outcomes' own.
type compileState struct {
	rule     *Rule // the active rule compiled with; nil for static tags
	names    []string
	static   []router.Pool
	untagged router.Pool
	held     []router.Pool
}

// compile is Compile, taking what it can from prev (nil: nothing) through
// m.
func (r *Router) compile(consumer *common.URL, invokers []protocol.Invoker, prev *compileState, m router.Moves) router.Compiled {
	n := len(invokers)
	rule := r.active()
	ct, cf := consumerDefaults(consumer)
	var names []string
	var static []router.Pool
	var untagged router.Pool
	var held []router.Pool
	if rule != nil {
		held = make([]router.Pool, len(rule.Tags))
	}
	index := map[string]int{}
	// tagged puts invoker i, tagged name, in its name's pool.
	tagged := func(i int, name string) {
		t, ok := index[name]
		if !ok {
			t = len(names)
			index[name] = t
			names = append(names, name)
			static = append(static, router.NewPool(n))
		}
		static[t].Add(i)
	}
	// read reads invoker i's URL: its static tag and rule membership.
	read := func(i int) {
		x := invokers[i]
		if name := staticTag(x); name == "" {
			untagged.Add(i)
		} else {
			tagged(i, name)
		}
		for j := range held {
			if rule.Tags[j].holds(x.URL()) {
				held[j].Add(i)
			}
		}
	}
	if prev == nil {
		untagged = router.NewPool(n)
		for j := range held {
			held[j] = router.NewPool(n)
		}
		for i := range invokers {
			read(i)
		}
	} else {
		// The kept invokers' tags, by prev's names; then the new ones'.
		untagged = m.Pool(prev.untagged)
		for j := range held {
			held[j] = m.Pool(prev.held[j])
		}
		for t, name := range prev.names {
			index[name] = t
			names = append(names, name)
			static = append(static, m.Pool(prev.static[t]))
		}
		m.Fresh(read)
		// Static tags still held, in order of first appearance (each
		// invoker has one: the first positions differ).
		first := make([]int, len(names))
		keep := make([]int, 0, len(names))
		for t := range names {
			if first[t] = static[t].First(); first[t] >= 0 {
				keep = append(keep, t)
			}
		}
		slices.SortFunc(keep, func(a, b int) int { return first[a] - first[b] })
		sn, sp := make([]string, len(keep)), make([]router.Pool, len(keep))
		clear(index)
		for k, t := range keep {
			sn[k], sp[k] = names[t], static[t]
			index[names[t]] = k
		}
		names, static = sn, sp
	}
	if rule != nil {
		for _, t := range rule.Tags {
			if _, ok := index[t.Name]; !ok {
				index[t.Name] = len(names)
				names = append(names, t.Name)
				static = append(static, router.NewPool(n))
			}
		}
	}
	state := &compileState{rule: rule, names: names, static: static, untagged: untagged, held: held}
	none := router.NewPool(n)

	outcomes := make([]router.Outcome, 1+2*(len(names)+1))
	set := func(i int, notForced, forced router.Outcome) {
		outcomes[1+2*i], outcomes[2+2*i] = notForced, forced
	}
	if rule == nil {
		outcomes[0] = router.Outcome{Pool: untagged, Force: true}
		for i := range names {
			set(i, router.Outcome{Pool: static[i], Fallback: &untagged}, router.Outcome{Pool: static[i], Force: true})
		}
		set(len(names), router.Outcome{Pool: none, Fallback: &untagged}, router.Outcome{Pool: none, Force: true})
	} else {
		// The fall-through pool: providers no rule tag holds and with no
		// static tag; plain: those no rule tag holds and whose static tag,
		// if any, is not a rule tag's name.
		inRule := router.NewPool(n)
		for j := range held {
			inRule.Or(held[j])
		}
		through := untagged.Clone()
		through.AndNot(inRule)
		plain := through.Clone()
		for i, name := range names {
			if rule.tag(name) == nil {
				plain.Or(static[i])
			}
		}
		plain.AndNot(inRule)
		outcomes[0] = router.Outcome{Pool: plain, Force: true}
		for i, name := range names {
			if j := ruleTagIndex(rule, name); j >= 0 && (rule.Tags[j].hasAddresses() || rule.Tags[j].byMatch()) {
				forced := router.Outcome{Pool: held[j], Force: true}
				if rule.Force {
					set(i, forced, forced)
				} else {
					set(i, router.Outcome{Pool: held[j], Fallback: &through}, forced)
				}
				continue
			}
			set(i, router.Outcome{Pool: static[i], Fallback: &through}, router.Outcome{Pool: static[i], Force: true})
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
