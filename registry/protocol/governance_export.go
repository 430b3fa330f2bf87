package protocol

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/configcenter"
	"github.com/fleetrpc/fleet/configurator"
	"github.com/fleetrpc/fleet/registry"
)

// exportGovernance is a provider's own override listener (Java's
// RegistryProtocol OverrideListener and its provider configuration
// listeners): it watches <provider application>.configurators and
// <interface:version:group>.configurators, applies them to the exported
// URL, and re-registers the URL when they change it (weight, timeout,
// disabled, …). The provider keeps serving on its socket throughout: the
// new URL is registered before the old one is withdrawn, so consumers
// never see the provider vanish and no call is dropped.
type exportGovernance struct {
	reg      registry.Registry // immutable
	log      *slog.Logger      // immutable
	original *common.URL       // the URL as exported; immutable
	timeout  time.Duration     // bounds each registry call; immutable

	mu      sync.Mutex // guards the fields below and orders re-registrations
	current *common.URL
	app     []configurator.Configurator
	svc     []configurator.Configurator
	svcSet  bool
	legacy  []configurator.Configurator
	closed  bool
	stops   []func()
}

// governExport starts the override listener of an export registered as
// registered in reg; nil when there is no config center.
func (p *Protocol) governExport(cc configcenter.ConfigCenter, reg registry.Registry, registered *common.URL) *exportGovernance {
	g := &exportGovernance{
		reg:      reg,
		log:      p.logger.With("component", "governance", "service", registered.ServiceKey(), "provider", registered.Address()),
		original: registered,
		current:  registered,
		timeout:  p.opts.timeout,
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	watch := func(kind ruleKind, key string) {
		stop, err := cc.Watch(key, "", func(ev configcenter.Event) { g.apply(kind, key, ev) })
		if err != nil {
			g.log.Warn("rule key not watched", "key", key, "error", err)
			return
		}
		g.stops = append(g.stops, stop)
	}
	if app := registered.ParamOr(common.ApplicationKey, ""); app != "" {
		watch(appConfigurators, app+ConfiguratorsSuffix)
	}
	watch(serviceConfigurators, registered.ColonKey()+ConfiguratorsSuffix)
	watch(legacyConfigurators, registered.ServiceInterface()+ConfiguratorsSuffix)
	return g
}

// apply takes a new state of a key and re-registers when the URL changes;
// a rule that does not parse is logged and the previous one stays.
func (g *exportGovernance) apply(kind ruleKind, key string, ev configcenter.Event) {
	var cs []configurator.Configurator
	if !ev.Deleted {
		rules, err := configurator.ParseRules([]byte(ev.Content))
		if err != nil {
			g.log.Warn("governance rule rejected; the previous rule stays in force", "key", key, "reason", err)
			return
		}
		cs = configurator.FromRules(rules, g.original.Host())
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed {
		return
	}
	switch kind {
	case appConfigurators:
		g.app = cs
	case serviceConfigurators:
		g.svc, g.svcSet = cs, !ev.Deleted
	case legacyConfigurators:
		g.legacy = cs
	}
	svc := g.svc
	if !g.svcSet {
		svc = g.legacy
	}
	next := configurator.Apply(svc, configurator.Apply(g.app, g.original))
	if next.Equal(g.current) {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), g.timeout)
	defer cancel()
	if err := g.reg.Register(ctx, next); err != nil {
		g.log.Error("re-register with the new parameters failed; the old URL stays", "key", key, "url", next, "error", err)
		return
	}
	if err := g.reg.Unregister(ctx, g.current); err != nil {
		g.log.Warn("unregister of the previous URL failed", "url", g.current, "error", err)
	}
	g.log.Info("provider re-registered with the config center's parameters", "key", key, "url", next)
	g.current = next
}

// close stops the watches and returns the URL registered now.
func (g *exportGovernance) close() *common.URL {
	g.mu.Lock()
	g.closed = true
	stops := g.stops
	g.stops = nil
	current := g.current
	g.mu.Unlock()
	for _, s := range stops {
		s()
	}
	return current
}
