package condition

import (
	"fmt"

	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/protocol"
	"github.com/fleetrpc/fleet/router"
)

// Settings are a condition router's flags besides its rule. The zero value
// is Java's default for a rule URL: priority 0, not forced, enabled.
type Settings struct {
	// Priority orders the router in a chain (lower runs first).
	Priority int
	// Force keeps an empty result: without it, a call whose consumer
	// matches the when side but for which no provider matches the then side
	// keeps the unrouted list.
	Force bool
	// Disabled makes the router leave every list unchanged.
	Disabled bool
	// Runtime is Dubbo's caching hint; it has no effect on results.
	Runtime bool
}

// Router is one condition rule with its settings. It is immutable and safe
// for concurrent use. It implements router.Router, router.Compilable and
// router.Explainer.
type Router struct {
	url  *common.URL // nil when not built from a URL
	rule *Rule
	set  Settings
}

var (
	_ router.Compilable = (*Router)(nil)
	_ router.Explainer  = (*Router)(nil)
)

// New builds the router of a rule URL (route://…?router=condition or
// condition://…): the rule is the URL-decoded rule param; priority (an
// integer, default 0), force (default false), enabled (default true) and
// runtime (default false) are read as Java does (a boolean is true only
// when it is "true" in any case). A missing or blank rule, a rule that does
// not parse or a malformed priority is an error naming the URL.
func New(u *common.URL) (*Router, error) {
	raw, _ := u.Param(common.RuleKey)
	text, err := common.Decode(raw)
	if err != nil {
		return nil, fmt.Errorf("condition router %s: decode rule: %w", u, err)
	}
	rule, err := ParseRule(text)
	if err != nil {
		return nil, fmt.Errorf("condition router %s: %w", u, err)
	}
	priority, err := u.ParamInt(common.PriorityKey, 0)
	if err != nil {
		return nil, fmt.Errorf("condition router %s: %w", u, err)
	}
	return &Router{url: u, rule: rule, set: Settings{
		Priority: priority,
		Force:    u.ParamBool(common.ForceKey, false),
		Disabled: !u.ParamBool(common.EnabledKey, true),
		Runtime:  u.ParamBool(common.RuntimeKey, false),
	}}, nil
}

// NewRouter returns the router of a parsed rule with the given settings
// (the YAML rules build theirs this way).
func NewRouter(rule *Rule, s Settings) *Router {
	return &Router{rule: rule, set: s}
}

// URL implements router.Router: the rule URL, nil for a router not built
// from one.
func (r *Router) URL() *common.URL { return r.url }

// Priority implements router.Router.
func (r *Router) Priority() int { return r.set.Priority }

// Rule returns the router's rule.
func (r *Router) Rule() *Rule { return r.rule }

// Settings returns the router's settings.
func (r *Router) Settings() Settings { return r.set }

// byMethod reports whether keys read only the call's method.
func byMethod(keys []dynamicKey) bool {
	for _, k := range keys {
		if k.kind != sampleMethod {
			return false
		}
	}
	return true
}

// dynamicKey is a when-side key that reads the call, compiled.
type dynamicKey struct {
	kind sampleKind // sampleMethod or sampleArgument
	arg  int
	pair globPair
}

func (k *dynamicKey) match(method string, args []any) bool {
	if k.kind == sampleMethod {
		return k.pair.isMatch(method)
	}
	if k.arg < 0 || k.arg >= len(args) {
		return false
	}
	return k.pair.matchArgument(args[k.arg])
}

// String describes the router: its rule and flags.
func (r *Router) String() string {
	s := fmt.Sprintf("condition %q", r.rule.text)
	if r.set.Force {
		s += " force"
	}
	if r.set.Disabled {
		s += " disabled"
	}
	return s
}

// Route implements router.Router as Java's ConditionRouter.route does
// (rules.md §1.4): a disabled router, an empty input or a consumer the when
// side does not match leave invokers unchanged; a blacklist gives none;
// otherwise the providers matching the then side, in input order, and when
// there are none: none if forced, else invokers unchanged. It never fails.
// The returned slice is new unless it is invokers itself.
func (r *Router) Route(invokers []protocol.Invoker, consumer *common.URL, inv protocol.Invocation) ([]protocol.Invoker, error) {
	routed, _ := r.route(invokers, consumer, inv)
	return routed, nil
}

// ExplainRoute implements router.Explainer.
func (r *Router) ExplainRoute(invokers []protocol.Invoker, consumer *common.URL, inv protocol.Invocation) ([]protocol.Invoker, string, error) {
	routed, note := r.route(invokers, consumer, inv)
	return routed, note, nil
}

func (r *Router) route(invokers []protocol.Invoker, consumer *common.URL, inv protocol.Invocation) ([]protocol.Invoker, string) {
	switch {
	case r.set.Disabled:
		return invokers, "disabled"
	case len(invokers) == 0:
		return invokers, "no provider to route"
	case !r.rule.matchesWhen(consumer, inv):
		return invokers, "when does not match the call"
	case r.rule.blacklist:
		return []protocol.Invoker{}, "when matches; then is empty: consumer blacklisted"
	}
	var out []protocol.Invoker
	for _, x := range invokers {
		if r.rule.matchesThen(x.URL(), consumer) {
			out = append(out, x)
		}
	}
	switch {
	case len(out) > 0:
		return out, fmt.Sprintf("when matches; %d of %d match then", len(out), len(invokers))
	case r.set.Force:
		return []protocol.Invoker{}, "when matches; no provider matches then; force=true: none"
	}
	return invokers, "when matches; no provider matches then; force=false: unchanged"
}

// Compile implements router.Compilable. The then side never reads the call,
// so it becomes one pool over invokers; the when side's keys that read only
// the consumer are evaluated here; only method and arguments[N] keys, if
// any, are left for Decide. Membership in the pool depends on each
// invoker alone (PerInvoker).
func (r *Router) Compile(consumer *common.URL, invokers []protocol.Invoker) (router.Compiled, error) {
	keep := router.Compiled{Outcomes: []router.Outcome{{All: true}}, PerInvoker: true}
	if r.set.Disabled {
		return keep, nil
	}
	var dynamic []dynamicKey
	for _, k := range r.rule.when {
		switch k.kind {
		case sampleMethod, sampleArgument:
			dynamic = append(dynamic, dynamicKey{kind: k.kind, arg: k.arg, pair: compilePair(k.pair)})
			continue
		}
		if !k.match(consumer, nil, nil) {
			return keep, nil // the consumer never matches
		}
	}
	step := router.Outcome{Pool: router.NewPool(len(invokers)), Force: r.set.Force || r.rule.blacklist}
	if !r.rule.blacklist {
		for i, x := range invokers {
			if r.rule.matchesThen(x.URL(), consumer) {
				step.Pool.Add(i)
			}
		}
	}
	if len(dynamic) == 0 {
		return router.Compiled{Outcomes: []router.Outcome{step}, PerInvoker: true}, nil
	}
	return router.Compiled{
		Outcomes: []router.Outcome{{All: true}, step},
		Decide: func(inv protocol.Invocation) int {
			if inv == nil {
				// As Route: method reads the consumer URL, arguments fail.
				for _, k := range r.rule.when {
					if (k.kind == sampleMethod || k.kind == sampleArgument) && !k.match(consumer, nil, nil) {
						return 0
					}
				}
				return 1
			}
			var method string
			var args []any
			var haveMethod, haveArgs bool
			for i := range dynamic {
				k := &dynamic[i]
				if k.kind == sampleMethod && !haveMethod {
					method, haveMethod = protocol.RealMethodName(inv), true
				} else if k.kind == sampleArgument && !haveArgs {
					args, haveArgs = protocol.RealArguments(inv), true
				}
				if !k.match(method, args) {
					return 0
				}
			}
			return 1
		},
		PerInvoker: true,
		ByMethod:   byMethod(dynamic),
	}, nil
}
