package tag

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/fleetrpc/fleet/common"
)

// RuleSuffix ends the config-center key of a provider application's tag
// rule: <application>.tag-router, group dubbo.
const RuleSuffix = ".tag-router"

// RuleKey is the config-center key of the tag rule of a provider
// application.
func RuleKey(application string) string { return application + RuleSuffix }

// Rule is a dynamic tag rule (Java's TagRouterRule), as dubbo-admin writes
// it to a config center under <provider application>.tag-router:
//
//	configVersion: v3.0     # absent, v2.7 or v3.0
//	force: false            # default false
//	enabled: true           # default true
//	runtime: true           # default true; no effect on results
//	key: demo-provider      # the provider application; informational
//	tags:
//	  - name: gray
//	    addresses: ["30.5.120.16:20880", "30.5.121.*"]
//	  - name: beta          # 3.x: the providers whose params match
//	    match:
//	      - key: env
//	        value: {exact: beta}
//
// A Rule is immutable once parsed.
type Rule struct {
	ConfigVersion string
	Key           string
	Force         bool
	Enabled       bool
	Runtime       bool
	Priority      int // informational: the tag router's place is fixed
	Tags          []Tag
	raw           string
}

// Tag is one tag of a rule: the providers at Addresses (IP expressions,
// common.IPExpression, or "0.0.0.0:<port>" for every host on a port) carry
// Name; a tag without addresses names the providers whose URL parameters
// all satisfy Match (Dubbo 3).
type Tag struct {
	Name      string
	Addresses []string
	Match     []ParamMatch

	exprs []*common.IPExpression // Addresses, compiled
}

// Raw is the rule's text as parsed.
func (r *Rule) Raw() string { return r.raw }

// Names lists the rule's tag names, in order.
func (r *Rule) Names() []string {
	out := make([]string, len(r.Tags))
	for i, t := range r.Tags {
		out[i] = t.Name
	}
	return out
}

// ParseRule parses a YAML tag rule. It is an error — the rule is rejected
// as a whole, and whoever installs rules keeps the previous one — when the
// YAML does not parse or is not a mapping, when configVersion is not v2.7
// or v3.0, when tags is missing or empty (Java marks such a rule invalid),
// when a tag has no name or repeats one, when an address is not an IP expression, and when
// a match entry has no key or no valid condition; the error names the tag
// and the entry. Booleans are true only when they read "true" in any case,
// as Java's Boolean.parseBoolean.
func ParseRule(content []byte) (*Rule, error) {
	var m map[string]any
	if err := yaml.Unmarshal(content, &m); err != nil {
		return nil, fmt.Errorf("tag rule: parse yaml: %w", err)
	}
	if m == nil {
		return nil, errors.New("tag rule: empty yaml")
	}
	r := &Rule{
		ConfigVersion: field(m["configVersion"]),
		Key:           field(m["key"]),
		Force:         boolean(m["force"], false),
		Enabled:       boolean(m["enabled"], true),
		Runtime:       boolean(m["runtime"], true),
		raw:           string(content),
	}
	name := "tag rule"
	if r.Key != "" {
		name = "tag rule " + r.Key
	}
	switch strings.TrimPrefix(r.ConfigVersion, "v") {
	case "", "2.7", "3.0":
	default:
		return nil, fmt.Errorf("%s: configVersion %q is not supported (v2.7 and v3.0 are)", name, r.ConfigVersion)
	}
	if p, ok := m["priority"]; ok && p != nil {
		n, ok := p.(int)
		if !ok {
			return nil, fmt.Errorf("%s: priority %q is not an integer", name, field(p))
		}
		r.Priority = n
	}
	list, ok := m["tags"].([]any)
	if m["tags"] != nil && !ok {
		return nil, fmt.Errorf("%s: tags is not a list", name)
	}
	if len(list) == 0 {
		return nil, fmt.Errorf("%s: no tags", name)
	}
	seen := map[string]bool{}
	for i, item := range list {
		t, err := parseTag(item)
		if err != nil {
			return nil, fmt.Errorf("%s: tag %d: %w", name, i, err)
		}
		if seen[t.Name] {
			return nil, fmt.Errorf("%s: tag %d: %s: duplicate name", name, i, t.Name)
		}
		seen[t.Name] = true
		r.Tags = append(r.Tags, t)
	}
	return r, nil
}

func parseTag(item any) (Tag, error) {
	tm, ok := item.(map[string]any)
	if !ok {
		return Tag{}, errors.New("not a mapping")
	}
	t := Tag{Name: field(tm["name"])}
	if t.Name == "" {
		return Tag{}, errors.New("no name")
	}
	switch a := tm["addresses"].(type) {
	case nil:
	case []any:
		for _, v := range a {
			if v == nil {
				continue
			}
			s := strings.TrimSpace(field(v))
			e, err := common.ParseIPExpression(s)
			if err != nil {
				return Tag{}, fmt.Errorf("%s: address: %w", t.Name, err)
			}
			t.Addresses = append(t.Addresses, s)
			t.exprs = append(t.exprs, e)
		}
	case string:
		if s := strings.TrimSpace(a); s != "" && s != "~" {
			return Tag{}, fmt.Errorf("%s: addresses is not a list", t.Name)
		}
	default:
		return Tag{}, fmt.Errorf("%s: addresses is not a list", t.Name)
	}
	switch ml := tm["match"].(type) {
	case nil:
	case []any:
		for i, v := range ml {
			pm, err := parseParamMatch(v)
			if err != nil {
				return Tag{}, fmt.Errorf("%s: match %d: %w", t.Name, i, err)
			}
			t.Match = append(t.Match, pm)
		}
	default:
		return Tag{}, fmt.Errorf("%s: match is not a list", t.Name)
	}
	return t, nil
}

// field is a YAML value as text, "" for null.
func field(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return v
	}
	return fmt.Sprint(v)
}

func boolean(v any, def bool) bool {
	if v == nil {
		return def
	}
	return strings.EqualFold(field(v), "true")
}

// hasAddresses reports whether the tag names providers by address (its
// addresses win over match, as in Java).
func (t *Tag) hasAddresses() bool { return len(t.exprs) > 0 }

// byMatch reports whether the tag names providers by their parameters.
func (t *Tag) byMatch() bool { return !t.hasAddresses() && len(t.Match) > 0 }

// holds reports whether the provider at u carries the tag by the rule:
// its address matches one of the tag's, or (Dubbo 3, a tag without
// addresses) its parameters satisfy every match entry.
func (t *Tag) holds(u *common.URL) bool {
	if t.hasAddresses() {
		return matchAddress(t.exprs, t.Addresses, u)
	}
	if !t.byMatch() {
		return false
	}
	for i := range t.Match {
		if !t.Match[i].matches(u) {
			return false
		}
	}
	return true
}

// matchAddress is Java's TagRouter.checkAddressMatch: an expression
// matches the provider's host and port, or the entry is 0.0.0.0:<port>.
func matchAddress(exprs []*common.IPExpression, texts []string, u *common.URL) bool {
	host, port := u.Host(), u.Port()
	for i, e := range exprs {
		if e.Match(host, port) || isAnyHostOnPort(texts[i], port) {
			return true
		}
	}
	return false
}

func isAnyHostOnPort(entry string, port int) bool {
	rest, ok := strings.CutPrefix(entry, common.AnyHost+":")
	return ok && rest == strconv.Itoa(port)
}
