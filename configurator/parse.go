package configurator

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/fleetrpc/fleet/common"
)

// Categories ParseRules gives the URLs of a YAML rule.
const (
	DynamicConfiguratorsCategory    = "dynamicconfigurators"
	AppDynamicConfiguratorsCategory = "appdynamicconfigurators"
)

// Rule is one override URL a YAML configurator rule yields, with the Dubbo
// 3 match condition of the config item it came from (nil when the item has
// none). Java carries the match as a URL attribute, not a parameter; here
// it travels beside the URL. Immutable.
type Rule struct {
	URL   *common.URL
	Match *Match
}

// ParseRules parses a configurator rule as dubbo-admin writes it to a
// config center (<app>.configurators, <colon key>.configurators) into
// override URLs, as Java's ConfigParser.parseConfigurators does
// (rules.md §3.6):
//
//   - a JSON array of URL strings gives those URLs as they are;
//   - otherwise the YAML rule (configVersion v2.7 or v3.0) gives, for each
//     item of configs and each of its addresses (default 0.0.0.0), with
//     scope application one URL per entry of services (default *), else
//     (scope service, the default) one URL, or one per entry of
//     applications.
//
// Parameters are set in Java's order, a later one winning: the service's
// group and version (from "group/interface:version"), category
// dynamicconfigurators, side, the item's parameters, providerAddresses,
// then for the service scope enabled, configVersion and application, for
// the application scope application (the rule's key), enabled, category
// appdynamicconfigurators and configVersion. enabled is the rule's
// (default true) for an item whose type is absent or general, else the
// item's own (the text "null" when unset, which Java writes too and reads
// as false). configVersion is written as given ("null" when absent, as
// Java does: such a rule counts as versioned). With configVersion v3.x
// and side provider, an item without providerAddresses gets its addresses
// as providerAddresses (Dubbo 3's ConfigParser).
//
// It is an error — the whole rule is rejected — when the content does not
// parse, is not a mapping or has no configs, when an item has no
// parameters ("please specify at least one parameter"), when the key (or
// a service entry) is empty ("service field in configuration is null"),
// when a list field is not a list or a match is malformed. The error
// names the item.
func ParseRules(content []byte) ([]Rule, error) {
	if urls, ok := parseJSONArray(content); ok {
		out := make([]Rule, 0, len(urls))
		for i, s := range urls {
			u, err := common.Parse(s)
			if err != nil {
				return nil, fmt.Errorf("configurator rule: url %d: %w", i, err)
			}
			out = append(out, Rule{URL: u})
		}
		return out, nil
	}
	var m map[string]any
	if err := yaml.Unmarshal(content, &m); err != nil {
		return nil, fmt.Errorf("configurator rule: parse yaml: %w", err)
	}
	if m == nil {
		return nil, errors.New("configurator rule: empty yaml")
	}
	cfg := ruleConfig{
		version: orNull(m["configVersion"]),
		scope:   scalar(m["scope"]),
		key:     scalar(m["key"]),
		enabled: "true",
	}
	if v, ok := m["enabled"]; ok && v != nil {
		cfg.enabled = strconv.FormatBool(parseBool(v))
	}
	name := "configurator rule"
	if cfg.key != "" {
		name = "configurator rule " + cfg.key
	}
	items, ok := m["configs"].([]any)
	if !ok || len(items) == 0 {
		return nil, fmt.Errorf("%s: no configs", name)
	}
	var out []Rule
	for i, raw := range items {
		im, ok := raw.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("%s: config %d is not a mapping", name, i)
		}
		it, err := parseItem(im)
		if err != nil {
			return nil, fmt.Errorf("%s: config %d: %w", name, i, err)
		}
		var rules []Rule
		if cfg.scope == "application" {
			rules, err = cfg.appRules(it)
		} else {
			rules, err = cfg.serviceRules(it)
		}
		if err != nil {
			return nil, fmt.Errorf("%s: config %d: %w", name, i, err)
		}
		out = append(out, rules...)
	}
	return out, nil
}

// FromRules builds the ordered configurators of the rules ParseRules gave,
// for a process at localHost, as FromURLs does for a registry list: override
// and absent URLs become configurators (each with its rule's match), an
// empty:// URL clears the list, a URL with no parameter but anyhost is
// skipped; the result is sorted by Less.
func FromRules(rules []Rule, localHost string) []Configurator {
	var out []Configurator
	for _, r := range rules {
		u := r.URL
		if u == nil {
			continue
		}
		if u.Protocol() == common.EmptyProtocol {
			out = nil
			break
		}
		if onlyAnyHost(u) {
			continue
		}
		switch u.Protocol() {
		case common.OverrideProtocol:
			o := NewOverride(u, localHost)
			o.match = r.Match
			out = append(out, o)
		case common.AbsentProtocol:
			a := NewAbsent(u, localHost)
			a.match = r.Match
			out = append(out, a)
		}
	}
	sortConfigurators(out)
	return out
}

// ruleConfig is the rule-level part of a YAML configurator rule.
type ruleConfig struct {
	version, scope, key, enabled string
}

// item is one entry of configs.
type item struct {
	typ, side, enabled           string
	addresses, providerAddresses []string
	services, applications       []string
	params                       []kv // in YAML order
	match                        *Match
}

type kv struct{ k, v string }

func parseItem(m map[string]any) (*item, error) {
	it := &item{typ: scalar(m["type"]), side: scalar(m["side"]), enabled: "null"}
	if v, ok := m["enabled"]; ok && v != nil {
		it.enabled = strconv.FormatBool(parseBool(v))
	}
	var err error
	for _, f := range []struct {
		key string
		dst *[]string
	}{
		{"addresses", &it.addresses}, {"providerAddresses", &it.providerAddresses},
		{"services", &it.services}, {"applications", &it.applications},
	} {
		if *f.dst, err = stringList(m[f.key]); err != nil {
			return nil, fmt.Errorf("%s: %w", f.key, err)
		}
	}
	switch p := m["parameters"].(type) {
	case nil:
	case map[string]any:
		for k, v := range p {
			if v == nil {
				return nil, fmt.Errorf("parameter %q has no value", k)
			}
			it.params = append(it.params, kv{k, scalar(v)})
		}
		// YAML mappings decode into Go maps; a stable key order keeps the
		// result deterministic (Java's HashMap order is no contract either).
		slices.SortStableFunc(it.params, func(a, b kv) int { return strings.Compare(a.k, b.k) })
	default:
		return nil, errors.New("parameters is not a mapping")
	}
	if mv, ok := m["match"]; ok && mv != nil {
		if it.match, err = parseMatch(mv); err != nil {
			return nil, fmt.Errorf("match: %w", err)
		}
	}
	return it, nil
}

// addressList is the item's addresses, 0.0.0.0 when it has none.
func (it *item) addressList() []string {
	if len(it.addresses) == 0 {
		return []string{common.AnyHost}
	}
	return it.addresses
}

// enabledValue is Java's parseEnabled.
func (it *item) enabledValue(c *ruleConfig) string {
	if it.typ == "" || it.typ == "general" {
		return c.enabled
	}
	return it.enabled
}

// baseParams are the parameters every URL of the item starts with (Java's
// toParameterString), in order.
func (c *ruleConfig) baseParams(it *item) ([]kv, error) {
	if len(it.params) == 0 {
		return nil, errors.New("Invalid configurator rule, please specify at least one parameter you want to change in the rule.")
	}
	out := []kv{{common.CategoryKey, DynamicConfiguratorsCategory}}
	if it.side != "" {
		out = append(out, kv{common.SideKey, it.side})
	}
	out = append(out, it.params...)
	switch {
	case len(it.providerAddresses) > 0:
		out = append(out, kv{providerAddressKey, strings.Join(it.providerAddresses, ",")})
	case it.side == common.ProviderSide && strings.HasPrefix(c.version, "v3"):
		out = append(out, kv{providerAddressKey, strings.Join(it.addressList(), ",")})
	}
	return out, nil
}

func (c *ruleConfig) serviceRules(it *item) ([]Rule, error) {
	svc, err := serviceParams(c.key)
	if err != nil {
		return nil, err
	}
	base, err := c.baseParams(it)
	if err != nil {
		return nil, err
	}
	var out []Rule
	for _, addr := range it.addressList() {
		ps := append(append(slices.Clone(svc.params), base...),
			kv{common.EnabledKey, it.enabledValue(c)}, kv{configVersionKey, c.version})
		if len(it.applications) == 0 {
			u, err := overrideURL(addr, svc.iface, ps)
			if err != nil {
				return nil, err
			}
			out = append(out, Rule{URL: u, Match: it.match})
			continue
		}
		for _, app := range it.applications {
			u, err := overrideURL(addr, svc.iface, append(slices.Clone(ps), kv{common.ApplicationKey, app}))
			if err != nil {
				return nil, err
			}
			out = append(out, Rule{URL: u, Match: it.match})
		}
	}
	return out, nil
}

func (c *ruleConfig) appRules(it *item) ([]Rule, error) {
	services := it.services
	if len(services) == 0 {
		services = []string{common.AnyValue}
	}
	base, err := c.baseParams(it)
	if err != nil {
		return nil, err
	}
	var out []Rule
	for _, addr := range it.addressList() {
		for _, s := range services {
			svc, err := serviceParams(s)
			if err != nil {
				return nil, err
			}
			ps := append(append(slices.Clone(svc.params), base...),
				kv{common.ApplicationKey, c.key},
				kv{common.EnabledKey, it.enabledValue(c)},
				kv{common.CategoryKey, AppDynamicConfiguratorsCategory},
				kv{configVersionKey, c.version})
			u, err := overrideURL(addr, svc.iface, ps)
			if err != nil {
				return nil, err
			}
			out = append(out, Rule{URL: u, Match: it.match})
		}
	}
	return out, nil
}

type service struct {
	iface  string
	params []kv
}

// serviceParams splits "group/interface:version" as Java's appendService.
func serviceParams(key string) (service, error) {
	if key == "" {
		return service{}, errors.New("service field in configuration is null.")
	}
	var s service
	if i := strings.IndexByte(key, '/'); i > 0 {
		s.params = append(s.params, kv{common.GroupKey, key[:i]})
		key = key[i+1:]
	}
	if j := strings.IndexByte(key, ':'); j > 0 {
		s.params = append(s.params, kv{common.VersionKey, key[j+1:]})
		key = key[:j]
	}
	s.iface = key
	return s, nil
}

// overrideURL is override://addr/path with params, a later one winning.
func overrideURL(addr, path string, ps []kv) (*common.URL, error) {
	host, port := addr, 0
	if i := strings.LastIndexByte(addr, ':'); i >= 0 && !strings.HasSuffix(addr, "]") {
		p, err := strconv.Atoi(addr[i+1:])
		if err != nil || p < 0 || p > 65535 {
			return nil, fmt.Errorf("address %q: bad port", addr)
		}
		host, port = addr[:i], p
	}
	if host == "" {
		return nil, fmt.Errorf("address %q: no host", addr)
	}
	m := make(map[string]string, len(ps))
	for _, p := range ps {
		m[p.k] = p.v
	}
	return common.NewURL(common.OverrideProtocol, host, port, path, m), nil
}

// parseJSONArray reports whether content is a JSON array of strings (the
// compatible form: ["override://…", …]) and returns them; an empty array
// counts as no array, as Java's parser.
func parseJSONArray(content []byte) ([]string, bool) {
	var list []string
	if err := json.Unmarshal(content, &list); err != nil || len(list) == 0 {
		return nil, false
	}
	return list, true
}

func stringList(v any) ([]string, error) {
	switch v := v.(type) {
	case nil:
		return nil, nil
	case []any:
		out := make([]string, 0, len(v))
		for _, e := range v {
			switch e.(type) {
			case map[string]any, []any:
				return nil, errors.New("an entry is not a scalar")
			}
			out = append(out, orNull(e))
		}
		return out, nil
	}
	return nil, errors.New("not a list")
}

// scalar is a YAML scalar as Java's toString gives it; "" for null.
func scalar(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return v
	case float64:
		return javaDouble(v)
	}
	return fmt.Sprint(v)
}

// orNull is scalar with Java's String.valueOf(null): "null".
func orNull(v any) string {
	if v == nil {
		return "null"
	}
	return scalar(v)
}

// javaDouble formats f as Java's Double.toString does for the values YAML
// rules hold: an integral value keeps ".0".
func javaDouble(f float64) string {
	s := strconv.FormatFloat(f, 'f', -1, 64)
	if !strings.ContainsAny(s, ".eEn") && f == float64(int64(f)) {
		s += ".0"
	}
	return s
}

// parseBool is Java's Boolean.parseBoolean of the value's text.
func parseBool(v any) bool { return strings.EqualFold(scalar(v), "true") }
