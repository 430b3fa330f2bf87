package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/configcenter"
	"github.com/fleetrpc/fleet/configurator"
	regprotocol "github.com/fleetrpc/fleet/registry/protocol"
	"github.com/fleetrpc/fleet/router"
	"github.com/fleetrpc/fleet/router/condition"
	"github.com/fleetrpc/fleet/router/tag"
)

// centerRules are the governance rules a config center holds for one
// consumer, parsed as its directory would take them.
type centerRules struct {
	app, svc []configurator.Configurator
	routers  []router.Router // condition rule sets (140, 150), the tag router
	keys     []string        // the keys that held a rule in force
}

// centerURLFor is the config center of a registry URL, as a consumer finds
// it: override when given, else (Java's default) the registry's address
// when a config center is registered for its scheme; nil when none.
func centerURLFor(regURL *common.URL, override string) (*common.URL, error) {
	if override != "" {
		return common.Parse(override)
	}
	if regURL.Protocol() == regprotocol.RegistryScheme {
		regURL = regURL.WithProtocol(regURL.ParamOr("registry", "")).WithoutParams("registry")
	}
	if !slices.Contains(configcenter.Schemes(), regURL.Protocol()) {
		return nil, nil
	}
	return configcenter.FromRegistry(regURL), nil
}

// readCenterRules reads the rule keys of consumer (and of the providers'
// application, for its tag rule) from the config center u, within
// timeout. A rule that does not parse is reported on warn and skipped, as
// a consumer keeps its previous rule; a center that does not answer is
// reported and gives no rule.
func readCenterRules(u, consumer *common.URL, providerApp string, timeout time.Duration, warn io.Writer) *centerRules {
	out := &centerRules{}
	if u == nil {
		return out
	}
	cc, err := configcenter.Open(u)
	if err != nil {
		fmt.Fprintf(warn, "fleet: config center not read: %v\n", oneLine(err))
		return out
	}
	defer cc.Close()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	get := func(key string) (string, bool) {
		if ctx.Err() != nil {
			return "", false
		}
		s, err := cc.Get(ctx, key, "")
		if err != nil {
			if !errors.Is(err, configcenter.ErrNotFound) {
				fmt.Fprintf(warn, "fleet: config center: %v\n", oneLine(err))
			}
			return "", false
		}
		return s, true
	}
	// either reads key, else fallback (the bare interface key).
	either := func(key, fallback string) (string, string, bool) {
		if s, ok := get(key); ok {
			return key, s, true
		}
		s, ok := get(fallback)
		return fallback, s, ok
	}
	skip := func(key string, err error) {
		fmt.Fprintf(warn, "fleet: config-center rule %s skipped, as a consumer would skip it: %v\n", key, oneLine(err))
	}
	configurators := func(key, content string) []configurator.Configurator {
		rules, err := configurator.ParseRules([]byte(content))
		if err != nil {
			skip(key, err)
			return nil
		}
		out.keys = append(out.keys, key)
		return configurator.FromRules(rules, consumer.Host())
	}
	conditions := func(key, content string, priority int) {
		y, err := condition.ParseYAML([]byte(content))
		if err != nil {
			skip(key, err)
			return
		}
		out.keys = append(out.keys, key)
		out.routers = append(out.routers, condition.NewRuleSet(y, priority))
	}
	app := consumer.ParamOr(common.ApplicationKey, "")
	colon, iface := consumer.ColonKey(), consumer.ServiceInterface()
	if app != "" {
		if s, ok := get(app + regprotocol.ConfiguratorsSuffix); ok {
			out.app = configurators(app+regprotocol.ConfiguratorsSuffix, s)
		}
	}
	if key, s, ok := either(colon+regprotocol.ConfiguratorsSuffix, iface+regprotocol.ConfiguratorsSuffix); ok {
		out.svc = configurators(key, s)
	}
	if key, s, ok := either(colon+regprotocol.ConditionRouterSuffix, iface+regprotocol.ConditionRouterSuffix); ok {
		conditions(key, s, condition.ServicePriority)
	}
	if app != "" {
		if s, ok := get(app + regprotocol.ConditionRouterSuffix); ok {
			conditions(app+regprotocol.ConditionRouterSuffix, s, condition.ApplicationPriority)
		}
	}
	if providerApp != "" && providerApp != app {
		if s, ok := get(providerApp + regprotocol.ConditionRouterSuffix); ok {
			conditions(providerApp+regprotocol.ConditionRouterSuffix, s, 145) // Dubbo 3.2's provider-application rule
		}
	}
	if providerApp != "" {
		key := providerApp + regprotocol.TagRouterSuffix
		if s, ok := get(key); ok {
			if r, err := tag.FromYAML(providerApp, []byte(s)); err != nil {
				skip(key, err)
			} else {
				out.keys = append(out.keys, key)
				out.routers = append(out.routers, r)
			}
		}
	}
	return out
}
