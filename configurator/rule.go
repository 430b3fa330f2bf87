package configurator

import (
	"strconv"
	"strings"

	"github.com/fleetrpc/fleet/common"
)

// Keys a rule reads to decide where it applies; they are never applied.
const (
	configVersionKey    = "configVersion"
	compatibleConfigKey = "compatible_config"
	interfacesKey       = "interfaces"
	providerAddressKey  = "providerAddresses"
)

// conditionKeys are stripped from a rule before its parameters are applied
// (rules.md §3.3 step 5); keys starting with '~' are stripped as well.
var conditionKeys = [...]string{
	common.CategoryKey, common.CheckKey, common.DynamicKey, common.EnabledKey, common.GroupKey,
	common.VersionKey, common.ApplicationKey, common.SideKey, configVersionKey, compatibleConfigKey,
	interfacesKey,
}

// condition is one "the target's key must equal value" test of a rule: a
// ~key, application or side parameter whose value is not *.
type condition struct {
	key, value string
}

// rule is the part override and absent share: the rule URL compiled into
// what Configure needs, once, at construction. Immutable.
type rule struct {
	url       *common.URL
	localHost string // the host that side=consumer targets compare with

	inert       bool   // enabled=false or no host: never applies
	versioned   bool   // configVersion is set
	v3          bool   // configVersion v3.x: Dubbo 3's checks
	side        string // the rule's side param
	providers   string // providerAddresses
	application string // application param, else the rule's username
	conditions  []condition
	params      map[string]string // what is applied; never modified
	paramsEmpty bool
	match       *Match // Dubbo 3's match condition of a YAML rule; nil when none
}

func newRule(u *common.URL, localHost string) rule {
	r := rule{
		url:       u,
		localHost: localHost,
		inert:     !u.ParamBool(common.EnabledKey, true) || u.Host() == "",
		versioned: u.Has(configVersionKey),
		v3:        strings.HasPrefix(u.ParamOr(configVersionKey, ""), "v3"),
		side:      u.ParamOr(common.SideKey, ""),
		providers: u.ParamOr(providerAddressKey, ""),
	}
	r.application = u.ParamOr(common.ApplicationKey, u.Username())
	params := make(map[string]string, u.NumParams())
	u.RangeParams(func(k, v string) bool {
		if strings.HasPrefix(k, "~") || k == common.ApplicationKey || k == common.SideKey {
			if v != "" && v != common.AnyValue {
				r.conditions = append(r.conditions, condition{key: strings.TrimPrefix(k, "~"), value: v})
			}
			return true
		}
		for _, c := range conditionKeys {
			if k == c {
				return true
			}
		}
		params[k] = v
		return true
	})
	r.params = params
	r.paramsEmpty = len(params) == 0
	return r
}

// target returns the host to compare the rule's host with for u, and
// whether the rule may apply to u at all (rules.md §3.2).
func (r *rule) target(u *common.URL) (string, bool) {
	if r.inert || u.Host() == "" {
		return "", false
	}
	targetSide, _ := u.Param(common.SideKey)
	if r.versioned {
		if r.side == "" || targetSide != r.side {
			return "", false
		}
		if r.v3 {
			// Dubbo 3: no port checks; the rule's service must be the
			// target's, or *.
			if r.url.ServiceInterface() != common.AnyValue && r.url.ServiceKey() != u.ServiceKey() {
				return "", false
			}
			if r.side == common.ConsumerSide {
				return r.localHost, true
			}
			return u.Host(), true
		}
		switch {
		case r.side == common.ConsumerSide && r.url.Port() == 0:
			return r.localHost, true
		case r.side == common.ProviderSide && r.url.Port() == u.Port():
			return u.Host(), true
		}
		return "", false
	}
	if r.url.Port() != 0 {
		if u.Port() == r.url.Port() {
			return u.Host(), true
		}
		return "", false
	}
	if targetSide == "" {
		// Java reads side with a default of provider for the first test
		// and consumer for the second: a URL without side matches neither.
		return "", false
	}
	switch targetSide {
	case common.ConsumerSide:
		return r.localHost, true
	case common.ProviderSide:
		return common.AnyHost, true
	}
	return "", false
}

// matches reports whether the rule applies to u compared as host h
// (rules.md §3.3 steps 1–4).
func (r *rule) matches(h string, u *common.URL) bool {
	if host := r.url.Host(); host != common.AnyHost && host != h {
		return false
	}
	if r.providers != "" {
		if r.v3 {
			if !v3ProviderAddress(r.providers, u) {
				return false
			}
		} else if !strings.Contains(r.providers, u.Address()) && !strings.Contains(r.providers, common.AnyHost) {
			return false
		}
	}
	if r.application != "" && r.application != common.AnyValue &&
		r.application != u.ParamOr(common.ApplicationKey, u.Username()) {
		return false
	}
	for _, c := range r.conditions {
		if v, _ := u.Param(c.key); v != c.value {
			return false
		}
	}
	if r.match != nil {
		addr := h
		if h == u.Host() {
			addr = u.Address()
		}
		return r.match.Matches(addr, u)
	}
	return true
}

// applies reports whether the rule changes u's parameters at all.
func (r *rule) applies(u *common.URL) bool {
	h, ok := r.target(u)
	return ok && !r.paramsEmpty && r.matches(h, u)
}

// v3ProviderAddress is Dubbo 3's providerAddresses test: an entry equal to
// the target's address or host, 0.0.0.0, 0.0.0.0:* or 0.0.0.0:<its port>.
func v3ProviderAddress(list string, u *common.URL) bool {
	anyPort := common.AnyHost + ":" + strconv.Itoa(u.Port())
	for _, e := range strings.Split(list, ",") {
		e = strings.TrimSpace(e)
		if e == u.Address() || e == u.Host() || e == common.AnyHost || e == common.AnyHost+":*" || e == anyPort {
			return true
		}
	}
	return false
}
