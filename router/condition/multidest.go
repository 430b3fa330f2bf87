package condition

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"

	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/protocol"
	"github.com/fleetrpc/fleet/router"
)

// DefaultDestinationWeight is the weight of a v3.1 destination that names
// none (Java's DefaultRouteConditionSubSetWeight).
const DefaultDestinationWeight = 100

// MultiDest is one condition of a configVersion v3.1 rule (Java 3.3's
// MultiDestCondition, rules.md §1.5):
//
//   - from: {match: "region=beijing & version=v1"}
//     to:
//   - {match: "env=$env & region=beijing", weight: 200}
//   - {match: "region=beijing"}          # weight 100
//
// From (nil: blank or "true") selects the consumers; each destination's
// match (nil: blank or "false") selects a subset of the providers. A call
// goes to one non-empty subset, picked at random by weight. Immutable.
type MultiDest struct {
	From           *Rule // when side only; nil matches every consumer
	To             []Destination
	Force          bool // the condition's own force (dubbo-go, Java 3.3)
	TrafficDisable bool // matching consumers get no provider
	Ratio          int  // a subset must hold more than Ratio% of the input
	text           string
}

// Destination is one "to" entry of a MultiDest.
type Destination struct {
	Match  *Rule // then side only; nil matches every provider
	Weight int
}

// String is the condition as text, for logs and explanations.
func (m *MultiDest) String() string { return m.text }

func parseMultiDest(v any) (*MultiDest, error) {
	c, ok := v.(map[string]any)
	if !ok {
		return nil, errors.New("a v3.1 condition is a mapping with from and to")
	}
	from, ok := c["from"].(map[string]any)
	if !ok {
		return nil, errors.New("from is missing or not a mapping")
	}
	toList, ok := c["to"].([]any)
	if c["to"] != nil && !ok {
		return nil, errors.New("to is not a list")
	}
	m := &MultiDest{Force: boolean(c["force"], false), TrafficDisable: boolean(c["trafficDisable"], false)}
	if r := c["ratio"]; r != nil {
		n, err := strconv.Atoi(text(r))
		if err != nil {
			return nil, fmt.Errorf("ratio %q is not an integer", text(r))
		}
		m.Ratio = n
	}
	when := strings.TrimSpace(field(from["match"]))
	if when != "" && when != "true" {
		r, err := ParseRule(when + " => ")
		if err != nil {
			return nil, fmt.Errorf("from: %w", err)
		}
		m.From = r
	}
	parts := []string{"from " + strconv.Quote(when)}
	for i, t := range toList {
		tm, ok := t.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("to %d is not a mapping", i)
		}
		d := Destination{Weight: DefaultDestinationWeight}
		if w := tm["weight"]; w != nil {
			n, err := strconv.Atoi(text(w))
			if err != nil || n < 0 {
				return nil, fmt.Errorf("to %d: weight %q is not a non-negative integer", i, text(w))
			}
			d.Weight = n
		}
		then := strings.TrimSpace(field(tm["match"]))
		if then != "" && then != "false" {
			r, err := ParseRule("=> " + then)
			if err != nil {
				return nil, fmt.Errorf("to %d: %w", i, err)
			}
			d.Match = r
		}
		m.To = append(m.To, d)
		parts = append(parts, fmt.Sprintf("to %q weight %d", then, d.Weight))
	}
	m.text = strings.Join(parts, "; ")
	return m, nil
}

// multiDestRouter routes by one MultiDest. It is not compiled: the subset
// is picked per call.
type multiDestRouter struct {
	md       *MultiDest
	force    bool // the condition's or the rule's force
	disabled bool
	priority int
}

var _ router.Explainer = (*multiDestRouter)(nil)

func (r *multiDestRouter) URL() *common.URL { return nil }
func (r *multiDestRouter) Priority() int    { return r.priority }
func (r *multiDestRouter) String() string   { return "condition v3.1: " + r.md.text }

// Route implements router.Router as Java 3.3's MultiDestConditionRouter:
// a disabled router, an empty input or a consumer From does not match
// leave invokers unchanged; TrafficDisable or no destination gives none;
// otherwise one non-empty destination subset picked at random by weight
// (none holding more than Ratio% of the input: none); when every subset
// is empty: none if forced, else invokers unchanged.
func (r *multiDestRouter) Route(invokers []protocol.Invoker, consumer *common.URL, inv protocol.Invocation) ([]protocol.Invoker, error) {
	out, _ := r.route(invokers, consumer, inv)
	return out, nil
}

// ExplainRoute implements router.Explainer.
func (r *multiDestRouter) ExplainRoute(invokers []protocol.Invoker, consumer *common.URL, inv protocol.Invocation) ([]protocol.Invoker, string, error) {
	out, note := r.route(invokers, consumer, inv)
	return out, note, nil
}

func (r *multiDestRouter) route(invokers []protocol.Invoker, consumer *common.URL, inv protocol.Invocation) ([]protocol.Invoker, string) {
	md := r.md
	switch {
	case r.disabled:
		return invokers, "disabled"
	case len(invokers) == 0:
		return invokers, "no provider to route"
	case md.From != nil && !md.From.matchesWhen(consumer, inv):
		return invokers, "from does not match the call"
	case md.TrafficDisable:
		return []protocol.Invoker{}, "from matches; traffic disabled"
	case len(md.To) == 0:
		return []protocol.Invoker{}, "from matches; no destination: consumer blocked"
	}
	var subsets [][]protocol.Invoker
	var weights []int
	total := 0
	for _, d := range md.To {
		var sub []protocol.Invoker
		if d.Match == nil {
			sub = invokers
		} else {
			for _, x := range invokers {
				if d.Match.matchesThen(x.URL(), consumer) {
					sub = append(sub, x)
				}
			}
		}
		if len(sub) > 0 {
			subsets = append(subsets, sub)
			weights = append(weights, d.Weight)
			total += d.Weight
		}
	}
	if len(subsets) == 0 {
		if r.force {
			return []protocol.Invoker{}, "from matches; no destination has a provider; force=true: none"
		}
		return invokers, "from matches; no destination has a provider; force=false: unchanged"
	}
	pick := 0
	if total > 0 {
		n := rand.IntN(total)
		for i, w := range weights {
			if n < w {
				pick = i
				break
			}
			n -= w
		}
	} else {
		pick = rand.IntN(len(subsets))
	}
	out := subsets[pick]
	if len(out)*100/len(invokers) <= md.Ratio {
		return []protocol.Invoker{}, fmt.Sprintf("destination %d holds %d of %d, not more than ratio %d%%: none", pick, len(out), len(invokers), md.Ratio)
	}
	return out, fmt.Sprintf("from matches; destination %d picked: %d of %d", pick, len(out), len(invokers))
}
