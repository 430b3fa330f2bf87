package configurator

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/fleetrpc/fleet/common"
)

// Match is the match block of a Dubbo 3 (configVersion v3.0) config item
// (Java's ConditionMatch): every condition it has must hold for the rule
// to apply. Immutable once parsed.
type Match struct {
	Address         *AddressMatch // the compared address (see Matches)
	ProviderAddress *AddressMatch // the target's host:port
	Service         []StringMatch // one of them must match the target's service key
	App             []StringMatch // one of them must match the target's application
	Param           []ParamMatch  // each must hold
}

// AddressMatch matches an address by CIDR or IP expression (Cird, the
// spelling Dubbo's YAML uses), by glob (Wildcard; "*" and "0.0.0.0" match
// anything) or exactly; the first one set decides.
type AddressMatch struct {
	Cird, Wildcard, Exact string
}

// StringMatch matches a string one way: Exact, Prefix, Regex (the whole
// value), Wildcard ("*" or equality), Empty (absent or ""), NoEmpty; the
// first one set decides, and a value that is absent matches only Empty.
type StringMatch struct {
	Exact, Prefix, Regex, Wildcard string
	Empty, NoEmpty                 bool
	set                            byte // which field decides
	re                             *regexp.Regexp
}

// ParamMatch requires the target URL's parameter Key to match Value.
type ParamMatch struct {
	Key   string
	Value StringMatch
}

// Matches reports whether the match holds for target u compared as
// address addr (the local address for consumer-side rules, the target's
// host:port for provider-side ones).
func (m *Match) Matches(addr string, u *common.URL) bool {
	if m.Address != nil && !m.Address.Match(addr) {
		return false
	}
	if m.ProviderAddress != nil && !m.ProviderAddress.Match(u.Address()) {
		return false
	}
	if m.Service != nil && !anyMatch(m.Service, u.ServiceKey(), true) {
		return false
	}
	if m.App != nil {
		app, ok := u.Param(common.ApplicationKey)
		if !anyMatch(m.App, app, ok) {
			return false
		}
	}
	for i := range m.Param {
		v, ok := u.Param(m.Param[i].Key)
		if !m.Param[i].Value.Match(v, ok) {
			return false
		}
	}
	return true
}

func anyMatch(ms []StringMatch, v string, present bool) bool {
	for i := range ms {
		if ms[i].Match(v, present) {
			return true
		}
	}
	return false
}

// Match reports whether input matches.
func (a *AddressMatch) Match(input string) bool {
	switch {
	case a.Cird != "":
		if input == a.Cird {
			return true
		}
		host, port := input, 0
		if h, p, ok := strings.Cut(input, ":"); ok && !strings.Contains(p, ":") {
			host = h
			fmt.Sscanf(p, "%d", &port)
		}
		ok, err := common.MatchIPExpression(a.Cird, host, port)
		return err == nil && ok
	case a.Wildcard != "":
		if a.Wildcard == common.AnyHost || a.Wildcard == common.AnyValue {
			return true
		}
		return common.IsMatchGlobPattern(a.Wildcard, input, nil)
	case a.Exact != "":
		return input == a.Exact
	}
	return false
}

const (
	smExact byte = iota + 1
	smPrefix
	smRegex
	smWildcard
	smEmpty
	smNoEmpty
)

// Match reports whether value (present tells whether there is one)
// matches.
func (s *StringMatch) Match(value string, present bool) bool {
	switch s.set {
	case smExact:
		return present && value == s.Exact
	case smPrefix:
		return present && strings.HasPrefix(value, s.Prefix)
	case smRegex:
		return present && s.re.MatchString(value)
	case smWildcard:
		return present && (s.Wildcard == common.AnyValue || value == s.Wildcard)
	case smEmpty:
		return !present || value == ""
	case smNoEmpty:
		return present && value != ""
	}
	return false
}

func parseMatch(v any) (*Match, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, errors.New("not a mapping")
	}
	out := &Match{}
	var err error
	if out.Address, err = parseAddressMatch(m["address"]); err != nil {
		return nil, fmt.Errorf("address: %w", err)
	}
	if out.ProviderAddress, err = parseAddressMatch(m["providerAddress"]); err != nil {
		return nil, fmt.Errorf("providerAddress: %w", err)
	}
	if out.Service, err = parseListMatch(m["service"]); err != nil {
		return nil, fmt.Errorf("service: %w", err)
	}
	if out.App, err = parseListMatch(m["app"]); err != nil {
		return nil, fmt.Errorf("app: %w", err)
	}
	switch ps := m["param"].(type) {
	case nil:
	case []any:
		for i, p := range ps {
			pm, ok := p.(map[string]any)
			if !ok {
				return nil, fmt.Errorf("param %d: not a mapping", i)
			}
			key := scalar(pm["key"])
			if key == "" {
				return nil, fmt.Errorf("param %d: no key", i)
			}
			sm, err := parseStringMatch(pm["value"])
			if err != nil {
				return nil, fmt.Errorf("param %d (%s): %w", i, key, err)
			}
			out.Param = append(out.Param, ParamMatch{Key: key, Value: sm})
		}
	default:
		return nil, errors.New("param: not a list")
	}
	return out, nil
}

func parseAddressMatch(v any) (*AddressMatch, error) {
	if v == nil {
		return nil, nil
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, errors.New("not a mapping")
	}
	a := &AddressMatch{Cird: scalar(m["cird"]), Wildcard: scalar(m["wildcard"]), Exact: scalar(m["exact"])}
	if a.Cird == "" && a.Wildcard == "" && a.Exact == "" {
		return nil, errors.New("none of cird, wildcard, exact")
	}
	return a, nil
}

// parseListMatch reads {oneof: [StringMatch…]}.
func parseListMatch(v any) ([]StringMatch, error) {
	if v == nil {
		return nil, nil
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, errors.New("not a mapping")
	}
	list, ok := m["oneof"].([]any)
	if !ok || len(list) == 0 {
		return nil, errors.New("no oneof list")
	}
	out := make([]StringMatch, 0, len(list))
	for i, e := range list {
		sm, err := parseStringMatch(e)
		if err != nil {
			return nil, fmt.Errorf("oneof %d: %w", i, err)
		}
		out = append(out, sm)
	}
	return out, nil
}

func parseStringMatch(v any) (StringMatch, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return StringMatch{}, errors.New("not a mapping")
	}
	var s StringMatch
	switch {
	case m["exact"] != nil:
		s.Exact, s.set = scalar(m["exact"]), smExact
	case m["prefix"] != nil:
		s.Prefix, s.set = scalar(m["prefix"]), smPrefix
	case m["regex"] != nil:
		s.Regex, s.set = scalar(m["regex"]), smRegex
		re, err := regexp.Compile("^(?:" + s.Regex + ")$")
		if err != nil {
			return StringMatch{}, fmt.Errorf("regex %q: %w", s.Regex, err)
		}
		s.re = re
	case m["wildcard"] != nil:
		s.Wildcard, s.set = scalar(m["wildcard"]), smWildcard
	case m["empty"] != nil:
		s.Empty, s.set = true, smEmpty
	case m["noempty"] != nil:
		s.NoEmpty, s.set = true, smNoEmpty
	default:
		return StringMatch{}, errors.New("none of exact, prefix, regex, wildcard, empty, noempty")
	}
	return s, nil
}
