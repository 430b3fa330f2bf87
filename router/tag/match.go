package tag

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/fleetrpc/fleet/common"
)

// ParamMatch is a Dubbo 3 condition on one provider URL parameter (Java's
// ParamMatch): the value of parameter Key must satisfy Value.
type ParamMatch struct {
	Key   string
	Value StringMatch
}

// StringMatch is Dubbo 3's StringMatch: exactly one way of matching a
// string is set. Exact, Prefix, Regex (the whole value, as Java's
// String.matches) and Wildcard ("*" or the value itself) never match an
// absent parameter; Empty matches an absent or empty one, NoEmpty a
// present and non-empty one.
type StringMatch struct {
	Exact    *string
	Prefix   *string
	Regex    *string
	Wildcard *string
	Empty    bool
	NoEmpty  bool

	re *regexp.Regexp
}

func parseParamMatch(v any) (ParamMatch, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return ParamMatch{}, errors.New("not a mapping")
	}
	pm := ParamMatch{Key: field(m["key"])}
	if pm.Key == "" {
		return ParamMatch{}, errors.New("no key")
	}
	vm, ok := m["value"].(map[string]any)
	if !ok {
		return ParamMatch{}, fmt.Errorf("%s: value is not a mapping of exact, prefix, regex, wildcard, empty or noempty", pm.Key)
	}
	sm := &pm.Value
	n := 0
	for k, x := range vm {
		s := field(x)
		switch k {
		case "exact":
			sm.Exact = &s
		case "prefix":
			sm.Prefix = &s
		case "regex":
			re, err := regexp.Compile("^(?:" + s + ")$")
			if err != nil {
				return ParamMatch{}, fmt.Errorf("%s: regex %q: %w", pm.Key, s, err)
			}
			sm.Regex, sm.re = &s, re
		case "wildcard":
			sm.Wildcard = &s
		case "empty":
			sm.Empty = true
		case "noempty":
			sm.NoEmpty = true
		default:
			return ParamMatch{}, fmt.Errorf("%s: unknown condition %q", pm.Key, k)
		}
		n++
	}
	if n == 0 {
		return ParamMatch{}, fmt.Errorf("%s: no condition", pm.Key)
	}
	return pm, nil
}

// matches reports whether u's parameter satisfies the condition.
func (p *ParamMatch) matches(u *common.URL) bool {
	v, ok := u.Param(p.Key)
	return p.Value.Match(v, ok)
}

// Match reports whether a parameter value (present tells whether the
// parameter is set) satisfies the condition, in Java's order of checks.
func (m *StringMatch) Match(value string, present bool) bool {
	switch {
	case m.Exact != nil && present:
		return value == *m.Exact
	case m.Prefix != nil && present:
		return strings.HasPrefix(value, *m.Prefix)
	case m.Regex != nil && present:
		return m.re.MatchString(value)
	case m.Wildcard != nil && present:
		return *m.Wildcard == "*" || value == *m.Wildcard
	case m.Empty:
		return !present || value == ""
	case m.NoEmpty:
		return present && value != ""
	}
	return false
}
