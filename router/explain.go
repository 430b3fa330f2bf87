package router

import (
	"fmt"
	"strings"

	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/protocol"
)

// Explainer is implemented by a Router that can say why it routed as it
// did. Explain uses it; Route stays the call path.
type Explainer interface {
	Router
	// ExplainRoute is Route plus a short note for people ("when does not
	// match the consumer", "no provider matches then; force=false keeps the
	// input").
	ExplainRoute(invokers []protocol.Invoker, consumer *common.URL, inv protocol.Invocation) (routed []protocol.Invoker, note string, err error)
}

// Explanation answers which providers a consumer's call would reach, and
// which router removed each of the others.
type Explanation struct {
	Consumer   *common.URL
	Method     string             // the call's real method name
	Candidates []protocol.Invoker // the list routed
	Reached    []protocol.Invoker // what the chain returns
	Steps      []Step             // one per router run (a Sequence's members one by one)
}

// Step is what one router did.
type Step struct {
	Router  Router
	Rule    string             // the router's rule (its URL, or its String)
	In      int                // how many invokers it was given
	Removed []protocol.Invoker // the invokers of its input it did not return
	Out     int                // how many it returned
	Note    string             // the router's own explanation, when it has one
	Err     error              // a routing error: the step left its input unchanged
	Skipped bool               // not run: its input was already empty
}

// Explain explains a call of inv over candidates (the snapshot's invokers,
// or a list it holds): it runs each router in turn through Route (or
// ExplainRoute), not through the compiled cache, so it is also a check of
// the cache. It is meant for the command-line tool and debugging, not the
// call path. The result equals Route's.
func (c *Chain) Explain(candidates []protocol.Invoker, inv protocol.Invocation) Explanation {
	ex := Explanation{Consumer: c.consumer, Candidates: candidates}
	if inv != nil {
		ex.Method = protocol.RealMethodName(inv)
	}
	list := candidates
	for _, s := range c.stages {
		st := Step{Router: s.router, Rule: describe(s.router), In: len(list)}
		if len(list) == 0 {
			st.Skipped = true
			ex.Steps = append(ex.Steps, st)
			continue
		}
		var routed []protocol.Invoker
		var err error
		if s.err != nil {
			err = s.err // failed to compile: the chain leaves calls unrouted
		} else {
			routed, st.Note, err = explainOne(s.router, list, c.consumer, inv)
		}
		if err != nil {
			st.Err = err
			routed = list
		}
		st.Removed = removed(list, routed)
		st.Out = len(routed)
		ex.Steps = append(ex.Steps, st)
		list = routed
	}
	ex.Reached = list
	return ex
}

// explainOne runs one router, with its note when it is an Explainer; a
// panic is an error.
func explainOne(r Router, list []protocol.Invoker, consumer *common.URL, inv protocol.Invocation) (routed []protocol.Invoker, note string, err error) {
	e, ok := r.(Explainer)
	if !ok {
		routed, err = safeRoute(r, list, consumer, inv)
		return routed, "", err
	}
	defer func() {
		if p := recover(); p != nil {
			routed, note, err = nil, "", fmt.Errorf("router: route panicked: %v", p)
		}
	}()
	return e.ExplainRoute(list, consumer, inv)
}

// Explain builds a chain of routers over invokers for consumer and explains
// a call of inv over all of them. See Chain.Explain.
func Explain(routers []Router, invokers []protocol.Invoker, consumer *common.URL, inv protocol.Invocation) Explanation {
	return NewChain(routers, invokers, consumer, nil).Explain(invokers, inv)
}

// RemovedBy returns the step that removed invoker, or false when no step
// removed it (it was reached, or was not a candidate).
func (e Explanation) RemovedBy(invoker protocol.Invoker) (Step, bool) {
	for _, s := range e.Steps {
		for _, r := range s.Removed {
			if same(r, invoker) {
				return s, true
			}
		}
	}
	return Step{}, false
}

// String renders the explanation for people: the call, each step with the
// providers it removed, and the providers reached.
func (e Explanation) String() string {
	var b strings.Builder
	if e.Consumer != nil {
		fmt.Fprintf(&b, "consumer %s\n", e.Consumer)
	}
	if e.Method != "" {
		fmt.Fprintf(&b, "method %s\n", e.Method)
	}
	fmt.Fprintf(&b, "candidates %d\n", len(e.Candidates))
	for i, s := range e.Steps {
		fmt.Fprintf(&b, "%d. %s (priority %d): %d -> %d", i+1, s.Rule, s.Router.Priority(), s.In, s.Out)
		switch {
		case s.Skipped:
			b.WriteString(", not run: no provider left")
		case s.Err != nil:
			fmt.Fprintf(&b, ", error, left unrouted: %v", s.Err)
		case s.Note != "":
			fmt.Fprintf(&b, ", %s", s.Note)
		}
		b.WriteByte('\n')
		for _, r := range s.Removed {
			fmt.Fprintf(&b, "   removed %s\n", address(r))
		}
	}
	fmt.Fprintf(&b, "reached %d\n", len(e.Reached))
	for _, r := range e.Reached {
		fmt.Fprintf(&b, "   %s\n", address(r))
	}
	return b.String()
}

func address(inv protocol.Invoker) string {
	if u := inv.URL(); u != nil {
		return u.Address()
	}
	return "<no url>"
}

// removed returns the elements of in that are not in out, in in's order.
func removed(in, out []protocol.Invoker) []protocol.Invoker {
	if len(out) == len(in) {
		return nil
	}
	var r []protocol.Invoker
	j := 0
	for _, x := range in {
		// out keeps in's order (Route's contract), so a single scan works;
		// fall back to a search for a router that reorders.
		if j < len(out) && same(out[j], x) {
			j++
			continue
		}
		if !contains(out, x) {
			r = append(r, x)
		}
	}
	return r
}

func contains(list []protocol.Invoker, x protocol.Invoker) bool {
	for _, y := range list {
		if same(x, y) {
			return true
		}
	}
	return false
}

// same compares invokers by identity; invokers of types that cannot be
// compared are compared by URL.
func same(a, b protocol.Invoker) bool {
	if comparable(a) && comparable(b) {
		return a == b
	}
	return a != nil && b != nil && a.URL() == b.URL()
}

// describe names a router in logs and explanations: its String when it
// has one, else its URL, else its type.
func describe(r Router) string {
	if s, ok := r.(fmt.Stringer); ok {
		return s.String()
	}
	if u := r.URL(); u != nil {
		return u.String()
	}
	return fmt.Sprintf("%T", r)
}
