package protocol

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/configcenter"
	"github.com/fleetrpc/fleet/configurator"
	"github.com/fleetrpc/fleet/directory"
	"github.com/fleetrpc/fleet/router"
	"github.com/fleetrpc/fleet/router/condition"
	"github.com/fleetrpc/fleet/router/tag"
)

// Suffixes of the config-center keys of governance rules (rules.md §1.5,
// §2, §3.6): <application or service>.<suffix>.
const (
	ConfiguratorsSuffix   = ".configurators"
	ConditionRouterSuffix = ".condition-router"
	TagRouterSuffix       = tag.RuleSuffix
)

// DefaultRuleWait bounds how long Refer waits for the first state of its
// rule keys (WithRuleWait).
const DefaultRuleWait = 2 * time.Second

// WithConfigCenter reads governance rules from cc for every reference and
// export. The Protocol does not own cc: Destroy does not close it.
func WithConfigCenter(cc configcenter.ConfigCenter) Option {
	return func(o *options) { o.center = cc }
}

// WithConfigCenterURL reads governance rules from the config center u
// names (zookeeper://…, nacos://…; the scheme's package must be imported),
// opened at first use and closed by Destroy.
func WithConfigCenterURL(u *common.URL) Option {
	return func(o *options) { o.centerURL = u }
}

// WithoutConfigCenter reads no governance rule from a config center, not
// even from the registry's address.
func WithoutConfigCenter() Option { return func(o *options) { o.noCenter = true } }

// WithRuleWait bounds how long Refer waits for the first state of the
// reference's rule keys, so that rules already in force apply to the
// first call (default DefaultRuleWait; 0 does not wait). A config center
// that cannot be reached costs one Refer at most this long, and the next
// ones nothing until it answers; its rules apply when it does.
func WithRuleWait(d time.Duration) Option {
	return func(o *options) { o.ruleWait = d; o.ruleWaitSet = true }
}

// centers holds the config centers a Protocol opened, by URL.
type centers struct {
	mu     sync.Mutex
	m      map[string]configcenter.ConfigCenter
	health map[configcenter.ConfigCenter]*centerHealth
	closed bool
}

// centerHealth remembers that a config center did not answer within a
// Refer's rule wait, so the next references do not wait for it again; the
// first state it delivers clears it.
type centerHealth struct{ slow atomic.Bool }

// healthOf returns the health record of cc.
func (p *Protocol) healthOf(cc configcenter.ConfigCenter) *centerHealth {
	c := &p.centers
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.health == nil {
		c.health = map[configcenter.ConfigCenter]*centerHealth{}
	}
	h := c.health[cc]
	if h == nil {
		h = &centerHealth{}
		c.health[cc] = h
	}
	return h
}

// configCenter returns the config center of a registry URL: WithConfigCenter's,
// else WithConfigCenterURL's, else (as Java does) one at the registry's
// address when a config center is registered for its scheme; nil when
// there is none.
func (p *Protocol) configCenter(regURL *common.URL) configcenter.ConfigCenter {
	if p.opts.noCenter {
		return nil
	}
	if p.opts.center != nil {
		return p.opts.center
	}
	u := p.opts.centerURL
	if u == nil {
		if !slices.Contains(configcenter.Schemes(), regURL.Protocol()) {
			return nil
		}
		u = configcenter.FromRegistry(regURL)
	}
	key := u.IdentityString()
	c := &p.centers
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil
	}
	if cc := c.m[key]; cc != nil {
		return cc
	}
	cc, err := configcenter.Open(u)
	if err != nil {
		p.logger.Warn("config center not opened; no governance rules from it", "url", u, "error", err)
		return nil
	}
	if c.m == nil {
		c.m = map[string]configcenter.ConfigCenter{}
	}
	c.m[key] = cc
	return cc
}

// closeConfigCenters closes the config centers the Protocol opened.
func (p *Protocol) closeConfigCenters() {
	c := &p.centers
	c.mu.Lock()
	c.closed = true
	m := c.m
	c.m = nil
	c.mu.Unlock()
	for _, cc := range m {
		if err := cc.Close(); err != nil {
			p.logger.Warn("close config center failed", "url", cc.URL(), "error", err)
		}
	}
}

// ruleKind is what a key holds and where it goes.
type ruleKind uint8

const (
	appConfigurators ruleKind = iota
	serviceConfigurators
	legacyConfigurators // <interface>.configurators, older dubbo-admin
	serviceConditions
	legacyConditions // <interface>.condition-router
	appConditions
	providerConditions // <provider app>.condition-router (Dubbo 3.2+)
	tagRule
)

// providerAppConditionPriority is the chain priority of the providers'
// application's condition rule (Java 3.2's ProviderAppStateRouter), between
// the service's (140) and the consumer application's (150).
const providerAppConditionPriority = 145

func (k ruleKind) byProvider() bool { return k == providerConditions || k == tagRule }

func (k ruleKind) routes() bool { return k >= serviceConditions }

// rule is the state of one key: the last good rule read from it.
type rule struct {
	kind    ruleKind
	key     string
	present bool
	cs      []configurator.Configurator // configurator kinds
	router  router.Router               // router kinds
	stop    func()
	first   chan struct{} // closed at the key's first state
	once    sync.Once
}

// governance applies the rules of one reference's keys to its directory,
// as Java's RegistryDirectory listeners (ReferenceConfigurationListener,
// ConsumerConfigurationListener) and the condition and tag routers'
// listeners do.
type governance struct {
	cc       configcenter.ConfigCenter // immutable
	health   *centerHealth             // immutable; shared by the references of cc
	dir      *directory.RegistryDirectory
	log      *slog.Logger
	local    string // the consumer's host, for configurators
	app      string // the consumer's application
	colonKey string // interface:version:group
	iface    string

	mu          sync.Mutex // guards the fields below and orders the directory updates
	closed      bool
	rules       []*rule
	providerApp string
	byProvider  []*rule // the providers' application's keys: its condition and tag rules
}

// newGovernance starts watching the rule keys of the directory's
// reference. Nothing blocks on the config center.
func newGovernance(cc configcenter.ConfigCenter, health *centerHealth, dir *directory.RegistryDirectory, consumer *common.URL, logger *slog.Logger) *governance {
	g := &governance{
		cc:       cc,
		health:   health,
		dir:      dir,
		log:      logger.With("component", "governance", "service", consumer.ServiceKey()),
		local:    consumer.Host(),
		app:      consumer.ParamOr(common.ApplicationKey, ""),
		colonKey: consumer.ColonKey(),
		iface:    consumer.ServiceInterface(),
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.app != "" {
		g.watch(appConfigurators, g.app+ConfiguratorsSuffix)
	}
	g.watch(serviceConfigurators, g.colonKey+ConfiguratorsSuffix)
	g.watch(legacyConfigurators, g.iface+ConfiguratorsSuffix)
	g.watch(serviceConditions, g.colonKey+ConditionRouterSuffix)
	g.watch(legacyConditions, g.iface+ConditionRouterSuffix)
	if g.app != "" {
		g.watch(appConditions, g.app+ConditionRouterSuffix)
	}
	return g
}

// watch starts watching key and keeps it in g.rules (under g.mu).
func (g *governance) watch(kind ruleKind, key string) {
	if r := g.newRule(kind, key); r.stop != nil {
		g.rules = append(g.rules, r)
	}
}

// newRule starts watching key (under g.mu). When the key cannot be
// watched its stop is nil and its first state counts as come.
func (g *governance) newRule(kind ruleKind, key string) *rule {
	r := &rule{kind: kind, key: key, first: make(chan struct{})}
	stop, err := g.cc.Watch(key, "", func(ev configcenter.Event) { g.apply(r, ev) })
	if err != nil {
		g.log.Warn("rule key not watched", "key", key, "error", err)
		r.once.Do(func() { close(r.first) })
		return r
	}
	r.stop = stop
	return r
}

// apply takes a new state of r's key: a rule that parses replaces the
// one in force, a deletion removes it, a rule that does not parse is
// logged and the previous one stays.
func (g *governance) apply(r *rule, ev configcenter.Event) {
	defer r.once.Do(func() { close(r.first) })
	g.health.slow.Store(false)
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.closed || (r.kind.byProvider() && !slices.Contains(g.byProvider, r)) {
		return
	}
	if ev.Deleted {
		if !r.present {
			return
		}
		r.present, r.cs, r.router = false, nil, nil
		g.log.Info("governance rule removed", "key", r.key)
		g.update(r.kind)
		return
	}
	var err error
	var cs []configurator.Configurator
	var rt router.Router
	switch r.kind {
	case appConfigurators, serviceConfigurators, legacyConfigurators:
		var rules []configurator.Rule
		if rules, err = configurator.ParseRules([]byte(ev.Content)); err == nil {
			cs = configurator.FromRules(rules, g.local)
		}
	case serviceConditions, legacyConditions, appConditions, providerConditions:
		var y *condition.YAMLRule
		if y, err = condition.ParseYAML([]byte(ev.Content)); err == nil {
			p := condition.ServicePriority
			switch r.kind {
			case appConditions:
				p = condition.ApplicationPriority
			case providerConditions:
				p = providerAppConditionPriority
			}
			rt = condition.NewRuleSet(y, p)
		}
	case tagRule:
		rt, err = tag.FromYAML(g.providerApp, []byte(ev.Content))
	}
	if err != nil {
		g.log.Warn("governance rule rejected; the previous rule stays in force", "key", r.key, "reason", err)
		return
	}
	r.present, r.cs, r.router = true, cs, rt
	g.log.Info("governance rule applied", "key", r.key)
	g.update(r.kind)
}

// update hands the directory the rules of kind's family (under g.mu).
func (g *governance) update(kind ruleKind) {
	if !kind.routes() {
		var app, svc, legacy []configurator.Configurator
		var svcSet bool
		for _, r := range g.rules {
			switch r.kind {
			case appConfigurators:
				app = r.cs
			case serviceConfigurators:
				svc, svcSet = r.cs, r.present
			case legacyConfigurators:
				legacy = r.cs
			}
		}
		if !svcSet {
			svc = legacy
		}
		g.dir.SetDynamicConfigurators(app, svc)
		return
	}
	var svc, legacy, app router.Router
	var svcSet bool
	for _, r := range g.rules {
		switch r.kind {
		case serviceConditions:
			svc, svcSet = r.router, r.present
		case legacyConditions:
			legacy = r.router
		case appConditions:
			app = r.router
		}
	}
	if !svcSet {
		svc = legacy
	}
	var rs []router.Router
	for _, x := range []router.Router{svc, app} {
		if x != nil {
			rs = append(rs, x)
		}
	}
	for _, r := range g.byProvider {
		if r.router != nil {
			rs = append(rs, r.router)
		}
	}
	g.dir.SetDynamicRouters(rs...)
}

// providersChanged follows the providers' application: its tag rule
// (<provider app>.tag-router) and condition rule (<provider
// app>.condition-router, Dubbo 3.2+) are the ones in force, as Java's
// routers subscribe to the application of the first invoker.
func (g *governance) providersChanged() {
	app := tag.ProviderApplication(g.dir.Invokers())
	g.mu.Lock()
	if g.closed || app == "" || app == g.providerApp {
		g.mu.Unlock()
		return
	}
	old := g.byProvider
	g.providerApp = app
	g.byProvider = nil
	if slices.ContainsFunc(old, func(r *rule) bool { return r.router != nil }) {
		g.update(tagRule) // the old application's rules no longer apply
	}
	for _, kr := range []struct {
		kind ruleKind
		key  string
	}{{providerConditions, app + ConditionRouterSuffix}, {tagRule, app + TagRouterSuffix}} {
		if kr.kind == providerConditions && app == g.app {
			continue // the consumer's own application's rule is read already
		}
		g.byProvider = append(g.byProvider, g.newRule(kr.kind, kr.key))
	}
	g.mu.Unlock()
	for _, r := range old {
		if r.stop != nil {
			r.stop()
		}
	}
}

// wait waits until every key watched so far has had its first state, for
// at most d or until ctx is done.
func (g *governance) wait(ctx context.Context, d time.Duration) {
	if d <= 0 || g.health.slow.Load() {
		return // a center that did not answer the last wait is not waited for again
	}
	g.mu.Lock()
	var firsts []chan struct{}
	for _, r := range g.rules {
		firsts = append(firsts, r.first)
	}
	for _, r := range g.byProvider {
		firsts = append(firsts, r.first)
	}
	g.mu.Unlock()
	t := time.NewTimer(d)
	defer t.Stop()
	for _, f := range firsts {
		select {
		case <-f:
		case <-t.C:
			g.health.slow.Store(true)
			g.log.Warn("config center did not answer in time; its rules apply when it does", "waited", d)
			return
		case <-ctx.Done():
			return
		}
	}
}

// close stops every watch. The directory keeps the rules it has.
func (g *governance) close() {
	g.mu.Lock()
	if g.closed {
		g.mu.Unlock()
		return
	}
	g.closed = true
	stops := make([]func(), 0, len(g.rules)+1)
	for _, r := range g.rules {
		stops = append(stops, r.stop)
	}
	for _, r := range g.byProvider {
		if r.stop != nil {
			stops = append(stops, r.stop)
		}
	}
	g.mu.Unlock()
	for _, s := range stops {
		s()
	}
}

// governedListener is the listener a governed reference subscribes with:
// the directory, then a look at its providers' application.
type governedListener struct {
	dir *directory.RegistryDirectory
	g   *governance
}

// Notify implements registry.NotifyListener.
func (l *governedListener) Notify(urls []*common.URL) {
	l.dir.Notify(urls)
	l.g.providersChanged()
}

// String names the listener for logs.
func (l *governedListener) String() string {
	return fmt.Sprintf("governed %s", l.dir.ConsumerURL().ServiceKey())
}
