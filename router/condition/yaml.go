package condition

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/protocol"
	"github.com/fleetrpc/fleet/router"
)

// Priorities of YAML condition rules in a chain (rules.md §1.1): they do
// not depend on the rule's own priority field.
const (
	// ServicePriority is the priority of a rule read from a service's key
	// (<colon key>.condition-router).
	ServicePriority = 140
	// ApplicationPriority is the priority of a rule read from the consumer
	// application's key (<app>.condition-router).
	ApplicationPriority = 150
)

// YAMLRule is a Dubbo 2.7/3.0 YAML condition rule, as dubbo-admin writes it
// to a config center:
//
//	configVersion: v2.7
//	scope: service          # or application
//	key: org.apache.dubbo.demo.DemoService
//	force: false
//	runtime: true
//	enabled: true
//	priority: 0             # does not move the rule in a chain
//	conditions:
//	  - method!=sayHello => address=30.5.120.16:20880
//	  - method=routeMethod1 =>
type YAMLRule struct {
	ConfigVersion string
	Scope         string // "service" or "application"; informational
	Key           string // informational
	Force         bool   // default false
	Runtime       bool   // default true; no effect on results
	Enabled       bool   // default true
	Priority      int    // default 0; informational
	Conditions    []*Rule
	// MultiDest holds the conditions of a configVersion v3.1 rule
	// (from/to with weights) instead of Conditions.
	MultiDest []*MultiDest
}

// ParseYAML parses a YAML condition rule. Booleans are true only when they
// read "true" in any case, as Java's Boolean.parseBoolean; a condition that
// is not a string but a scalar is read as its text. It is an error — the
// rule is rejected as a whole — when the YAML does not parse or is not a
// mapping, when conditions is missing or empty, when a condition is not a
// scalar or does not parse (the error names it by position and text), when
// priority is not an integer, and for a configVersion after v3.1.
// configVersion v3.1 rules hold from/to conditions (MultiDest).
func ParseYAML(content []byte) (*YAMLRule, error) {
	var m map[string]any
	if err := yaml.Unmarshal(content, &m); err != nil {
		return nil, fmt.Errorf("condition rule: parse yaml: %w", err)
	}
	if m == nil {
		return nil, errors.New("condition rule: empty yaml")
	}
	r := &YAMLRule{
		ConfigVersion: field(m["configVersion"]),
		Scope:         field(m["scope"]),
		Key:           field(m["key"]),
		Force:         boolean(m["force"], false),
		Runtime:       boolean(m["runtime"], true),
		Enabled:       boolean(m["enabled"], true),
	}
	name := "condition rule"
	if r.Key != "" {
		name = fmt.Sprintf("condition rule %s", r.Key)
	}
	v := strings.TrimPrefix(r.ConfigVersion, "v")
	v31 := v == "3.1" || strings.HasPrefix(v, "3.1.")
	if v != "" && !strings.HasPrefix(v, "2.") && v != "3.0" && !strings.HasPrefix(v, "3.0.") && !v31 {
		return nil, fmt.Errorf("%s: configVersion %q is not supported (v2.7, v3.0 and v3.1 are)", name, r.ConfigVersion)
	}
	if p, ok := m["priority"]; ok && p != nil {
		n, err := strconv.Atoi(text(p))
		if err != nil {
			return nil, fmt.Errorf("%s: priority %q is not an integer", name, text(p))
		}
		r.Priority = n
	}
	list, _ := m["conditions"].([]any)
	if len(list) == 0 {
		return nil, fmt.Errorf("%s: no conditions", name)
	}
	for i, c := range list {
		if v31 {
			md, err := parseMultiDest(c)
			if err != nil {
				return nil, fmt.Errorf("%s: condition %d: %w", name, i, err)
			}
			r.MultiDest = append(r.MultiDest, md)
			continue
		}
		switch c.(type) {
		case map[string]any, []any:
			return nil, fmt.Errorf("%s: condition %d is not a string", name, i)
		}
		rule, err := ParseRule(text(c))
		if err != nil {
			return nil, fmt.Errorf("%s: condition %d: %w", name, i, err)
		}
		r.Conditions = append(r.Conditions, rule)
	}
	return r, nil
}

// text is Java's String.valueOf of a YAML value: "null" for null.
func text(v any) string {
	switch v := v.(type) {
	case nil:
		return "null"
	case string:
		return v
	}
	return fmt.Sprint(v)
}

// field is a YAML value as text, "" for null.
func field(v any) string {
	if v == nil {
		return ""
	}
	return text(v)
}

func boolean(v any, def bool) bool {
	if v == nil {
		return def
	}
	return strings.EqualFold(text(v), "true")
}

// RuleSet is a YAML condition rule as a router: one condition router per
// condition, each with the rule's force and enabled, run in sequence, each
// on the previous one's output. It is immutable and safe for concurrent use.
// It implements router.Sequence, so a chain compiles its members.
type RuleSet struct {
	rule     *YAMLRule
	priority int
	members  []router.Router
}

var _ router.Sequence = (*RuleSet)(nil)

// NewRuleSet returns the router of rule at priority (ServicePriority or
// ApplicationPriority, by where the rule was read).
func NewRuleSet(rule *YAMLRule, priority int) *RuleSet {
	s := Settings{Priority: priority, Force: rule.Force, Disabled: !rule.Enabled, Runtime: rule.Runtime}
	rs := &RuleSet{rule: rule, priority: priority}
	for _, c := range rule.Conditions {
		rs.members = append(rs.members, NewRouter(c, s))
	}
	for _, md := range rule.MultiDest {
		rs.members = append(rs.members, &multiDestRouter{md: md, force: md.Force || rule.Force, disabled: !rule.Enabled, priority: priority})
	}
	return rs
}

// FromYAML parses a YAML condition rule and returns its router at
// ApplicationPriority when its scope is "application", else at
// ServicePriority.
func FromYAML(content []byte) (*RuleSet, error) {
	rule, err := ParseYAML(content)
	if err != nil {
		return nil, err
	}
	p := ServicePriority
	if rule.Scope == "application" {
		p = ApplicationPriority
	}
	return NewRuleSet(rule, p), nil
}

// Rule returns the parsed YAML rule.
func (s *RuleSet) Rule() *YAMLRule { return s.rule }

// URL implements router.Router: nil, a YAML rule has no URL.
func (s *RuleSet) URL() *common.URL { return nil }

// Priority implements router.Router.
func (s *RuleSet) Priority() int { return s.priority }

// Members implements router.Sequence: the condition routers, in order.
func (s *RuleSet) Members() []router.Router { return s.members }

// String describes the rule set by its scope and key.
func (s *RuleSet) String() string {
	return fmt.Sprintf("condition rule set %s %s (%d conditions)", s.rule.Scope, s.rule.Key, len(s.members))
}

// Route implements router.Router: the members in sequence.
func (s *RuleSet) Route(invokers []protocol.Invoker, consumer *common.URL, inv protocol.Invocation) ([]protocol.Invoker, error) {
	for _, m := range s.members {
		if len(invokers) == 0 {
			return invokers, nil
		}
		var err error
		if invokers, err = m.Route(invokers, consumer, inv); err != nil {
			return nil, err
		}
	}
	return invokers, nil
}
