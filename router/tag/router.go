package tag

import (
	"fmt"
	"strings"

	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/protocol"
	"github.com/fleetrpc/fleet/router"
)

// Priority is the tag router's place in a chain (Java's TagRouter): after
// the mock router (-100) and route:// rules of lower priority, before the
// config center's condition rules (140, 150).
const Priority = 100

// Kind is what Router.Kind returns: a chain holds one tag router, and one
// carrying a rule takes the place of the static one (router.Kinded).
const Kind = "tag"

// Router is Dubbo's tag router: static tags (the dubbo.tag parameter of
// providers and of the request), and optionally the dynamic rule of the
// providers' application. It is immutable and safe for concurrent use; a
// new rule is a new Router. It implements router.Compilable (and
// router.Incremental), router.Explainer and router.Kinded.
type Router struct {
	app  string // the application the rule was read for; informational
	rule *Rule  // nil: static tags only
}

var (
	_ router.Compilable  = (*Router)(nil)
	_ router.Incremental = (*Router)(nil)
	_ router.Explainer   = (*Router)(nil)
	_ router.Kinded      = (*Router)(nil)
)

// Static returns the tag router without a dynamic rule: the built-in one
// every chain holds.
func Static() *Router { return &Router{} }

// New returns the tag router with rule in force, the dynamic rule read for
// the provider application app (the config-center key app.tag-router); a
// nil rule, or a rule that is not enabled, routes by static tags only.
//
// The router does not check that the providers it routes belong to app:
// whoever installs it reads the rule of the directory's provider
// application (ProviderApplication), as Java's TagRouter subscribes to it.
func New(app string, rule *Rule) *Router { return &Router{app: app, rule: rule} }

// FromYAML parses a YAML tag rule read for the provider application app
// and returns its router; a rule that does not parse is ParseRule's error,
// and the caller keeps the router it had.
func FromYAML(app string, content []byte) (*Router, error) {
	rule, err := ParseRule(content)
	if err != nil {
		if app != "" {
			return nil, fmt.Errorf("%s: %w", RuleKey(app), err)
		}
		return nil, err
	}
	return New(app, rule), nil
}

// ProviderApplication is the application whose tag rule applies to
// invokers: the remote.application parameter of the first one (Java reads
// the first invoker's), "" when there is none.
func ProviderApplication(invokers []protocol.Invoker) string {
	if len(invokers) == 0 || invokers[0].URL() == nil {
		return ""
	}
	return invokers[0].URL().ParamOr(common.RemoteApplicationKey, "")
}

// Rule returns the dynamic rule, nil for the static router.
func (r *Router) Rule() *Rule { return r.rule }

// Application returns the application the rule was read for.
func (r *Router) Application() string { return r.app }

// URL implements router.Router: nil, a tag router has no URL.
func (r *Router) URL() *common.URL { return nil }

// Priority implements router.Router.
func (r *Router) Priority() int { return Priority }

// Kind implements router.Kinded.
func (r *Router) Kind() string { return Kind }

// String names the router and its rule, for logs and explanations.
func (r *Router) String() string {
	rule := r.active()
	if rule == nil {
		if r.rule != nil {
			return fmt.Sprintf("tag rule %s (disabled; static tags)", r.name())
		}
		return "tag (static tags)"
	}
	return fmt.Sprintf("tag rule %s (force=%t, tags %s)", r.name(), rule.Force, strings.Join(rule.Names(), ","))
}

func (r *Router) name() string {
	switch {
	case r.app != "":
		return RuleKey(r.app)
	case r.rule != nil && r.rule.Key != "":
		return r.rule.Key
	}
	return "(no key)"
}

// active is the rule in force: nil when there is none or it is disabled.
func (r *Router) active() *Rule {
	if r.rule == nil || !r.rule.Enabled {
		return nil
	}
	return r.rule
}

// request is the call's tag and force flag: the attachments dubbo.tag and
// dubbo.force.tag when set and not empty, else the consumer's.
func request(consumerTag string, consumerForce bool, inv protocol.Invocation) (string, bool) {
	tag, force := consumerTag, consumerForce
	if inv != nil {
		if t := protocol.StringAttachment(inv, common.TagKey); t != "" {
			tag = t
		}
		if f := protocol.StringAttachment(inv, common.ForceTagKey); f != "" {
			force = strings.EqualFold(f, "true")
		}
	}
	return tag, force
}

func consumerDefaults(consumer *common.URL) (string, bool) {
	if consumer == nil {
		return "", false
	}
	return consumer.ParamOr(common.TagKey, ""), strings.EqualFold(consumer.ParamOr(common.ForceTagKey, ""), "true")
}

func staticTag(x protocol.Invoker) string {
	if u := x.URL(); u != nil {
		return u.ParamOr(common.TagKey, "")
	}
	return ""
}

// Route implements router.Router as Java's TagRouter.route (rules.md §2).
// It never fails. The result is a new slice unless it is invokers itself.
func (r *Router) Route(invokers []protocol.Invoker, consumer *common.URL, inv protocol.Invocation) ([]protocol.Invoker, error) {
	out, _ := r.route(invokers, consumer, inv)
	return out, nil
}

// ExplainRoute implements router.Explainer.
func (r *Router) ExplainRoute(invokers []protocol.Invoker, consumer *common.URL, inv protocol.Invocation) ([]protocol.Invoker, string, error) {
	out, note := r.route(invokers, consumer, inv)
	return out, note, nil
}

func filter(list []protocol.Invoker, keep func(protocol.Invoker) bool) []protocol.Invoker {
	out := []protocol.Invoker{}
	for _, x := range list {
		if keep(x) {
			out = append(out, x)
		}
	}
	return out
}

func (r *Router) route(invokers []protocol.Invoker, consumer *common.URL, inv protocol.Invocation) ([]protocol.Invoker, string) {
	if len(invokers) == 0 {
		return invokers, "no provider to route"
	}
	ct, cf := consumerDefaults(consumer)
	t, force := request(ct, cf, inv)
	rule := r.active()
	untagged := func(x protocol.Invoker) bool { return staticTag(x) == "" }
	if rule == nil {
		if t == "" {
			return filter(invokers, untagged), "untagged request: untagged providers"
		}
		out := filter(invokers, func(x protocol.Invoker) bool { return staticTag(x) == t })
		switch {
		case len(out) > 0:
			return out, fmt.Sprintf("tag %s: providers tagged %s", t, t)
		case force:
			return out, fmt.Sprintf("tag %s: no provider tagged %s; force.tag: none", t, t)
		}
		return filter(invokers, untagged), fmt.Sprintf("tag %s: no provider tagged %s: untagged providers", t, t)
	}
	inRule := func(x protocol.Invoker) bool { return rule.holdsAny(x.URL()) }
	if t == "" {
		out := filter(invokers, func(x protocol.Invoker) bool {
			if inRule(x) {
				return false
			}
			st := staticTag(x)
			return st == "" || !rule.hasName(st)
		})
		return out, "untagged request: providers outside the rule's tags"
	}
	var out []protocol.Invoker
	if tg := rule.tag(t); tg != nil && (tg.hasAddresses() || tg.byMatch()) {
		out = filter(invokers, func(x protocol.Invoker) bool { return tg.holds(x.URL()) })
		switch {
		case len(out) > 0:
			return out, fmt.Sprintf("tag %s: the rule's providers for %s", t, t)
		case rule.Force:
			return out, fmt.Sprintf("tag %s: none of the rule's providers for %s; rule force: none", t, t)
		}
	} else {
		out = filter(invokers, func(x protocol.Invoker) bool { return staticTag(x) == t })
		if len(out) > 0 {
			return out, fmt.Sprintf("tag %s: providers tagged %s", t, t)
		}
	}
	if force {
		return []protocol.Invoker{}, fmt.Sprintf("tag %s: no provider for %s; force.tag: none", t, t)
	}
	return filter(invokers, func(x protocol.Invoker) bool { return !inRule(x) && untagged(x) }),
		fmt.Sprintf("tag %s: no provider for %s: untagged providers outside the rule", t, t)
}

// tag returns the rule's first tag named name, nil when none.
func (r *Rule) tag(name string) *Tag {
	if j := ruleTagIndex(r, name); j >= 0 {
		return &r.Tags[j]
	}
	return nil
}

func (r *Rule) hasName(name string) bool { return r.tag(name) != nil }

// holdsAny reports whether some tag of the rule holds the provider at u
// (Java's "in the rule's addresses").
func (r *Rule) holdsAny(u *common.URL) bool {
	for i := range r.Tags {
		if r.Tags[i].holds(u) {
			return true
		}
	}
	return false
}
