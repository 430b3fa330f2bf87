package protocol

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fleetrpc/fleet/cluster"
	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/configcenter"
	rpc "github.com/fleetrpc/fleet/protocol"
	"github.com/fleetrpc/fleet/registry"
	"github.com/fleetrpc/fleet/registry/migration"
	"github.com/fleetrpc/fleet/router/tag"
)

// ServiceDiscoveryScheme is the scheme of an application-level registry
// URL (Java's service-discovery-registry); its registry param names the
// registry underneath. registry/servicediscovery registers it.
const ServiceDiscoveryScheme = "service-discovery-registry"

// RegistryTypeKey on a registry URL set to RegistryTypeInterface keeps
// its references interface-level only (dubbo-go's registry-type:
// interface): no application-level side, no migration rule.
const (
	RegistryTypeKey       = "registry-type"
	RegistryTypeInterface = "interface"
)

// providedByKey is the consumer param naming its provider applications.
const providedByKey = "provided-by"

// retireWait bounds how long a side that calls no longer reach waits for
// the calls in flight on it before it is destroyed.
const retireWait = 30 * time.Second

// applicationLevel returns the application-level registry URL a reference
// through the interface-level regURL also uses (Java's MigrationInvoker):
// service-discovery-registry://<the same address>?registry=<scheme>&<its
// params>, with refer. It returns nil when the reference is
// interface-level only: WithRegistry's single registry, a
// service-discovery-registry URL itself (FORCE_APPLICATION: a plain
// refer), registry-type=interface, interface *, or no
// service-discovery-registry scheme registered (registry/servicediscovery
// not imported).
func (p *Protocol) applicationLevel(regURL, consumer *common.URL) *common.URL {
	if p.opts.registry != nil || regURL.Protocol() == ServiceDiscoveryScheme ||
		regURL.ParamOr(RegistryTypeKey, "") == RegistryTypeInterface ||
		consumer.ServiceInterface() == common.AnyValue ||
		!slices.Contains(registry.Schemes(), ServiceDiscoveryScheme) {
		return nil
	}
	return regURL.WithProtocol(ServiceDiscoveryScheme).WithParam(registryParamKey, regURL.Protocol())
}

// underlying is the registry under an application-level registry URL
// (service-discovery-registry://…?registry=zookeeper is zookeeper://…),
// whose config center a reference reads rules from, as Java's
// application-level references do; other URLs are returned as they are.
func underlying(u *common.URL) *common.URL {
	if u.Protocol() != ServiceDiscoveryScheme {
		return u
	}
	return u.WithProtocol(u.ParamOr(registryParamKey, "zookeeper")).WithoutParams(registryParamKey)
}

// migrationSide is one side of a migrating reference: its directory and
// cluster, and the calls in flight on it, so that a side calls no longer
// reach is destroyed once they are done.
type migrationSide struct {
	*side
	app      bool // application-level; immutable
	inflight atomic.Int64
	retired  atomic.Bool
}

// count is the number of providers the side holds, as Java's comparator
// counts them (available or not).
func (s *migrationSide) count() int {
	if s == nil {
		return 0
	}
	return len(s.dir.Invokers())
}

// sideSet is what a migrating reference holds: its sides (nil when not
// referred) and the decision that governs them. Immutable.
type sideSet struct {
	iface, app *migrationSide
	d          migration.Decision
}

// route is where calls go: the preferred side and, for APPLICATION_FIRST
// with a proportion below 100, the interface-level side the other calls
// take. Immutable.
type route struct {
	preferred  *migrationSide
	other      *migrationSide
	proportion int
}

// migrationInvoker is a reference through an interface-level registry
// that also uses the application-level one at the same address, as Java's
// MigrationInvoker: its step decides which sides are referred and where
// calls go; a rule from the config center changes it live.
type migrationInvoker struct {
	p        *Protocol
	regURL   *common.URL // interface-level, with refer; immutable
	appURL   *common.URL // application-level, with refer; immutable
	consumer *common.URL // immutable
	shown    *common.URL // the interface-level registry URL without refer; immutable
	log      *slog.Logger
	done     chan struct{} // closed by Destroy
	doneOnce sync.Once
	loopDone chan struct{} // closed when the rule loop ends; nil without one

	sides atomic.Pointer[sideSet] // published by the migrating goroutine
	route atomic.Pointer[route]   // read by every call

	decideMu sync.Mutex // orders route decisions (notifications, migrations)

	mu        sync.Mutex // serialises migrations and Destroy; guards the fields below
	rule      *migration.Rule
	destroyed bool
	stopWatch func()

	// the rule key's states, from the config center's watch
	pending atomic.Pointer[configcenter.Event]
	kick    chan struct{} // buffered 1: a state is pending
	first   chan struct{} // closed at the first state
	once    sync.Once
}

// referMigrating refers a reference through both discovery levels and
// applies its step (see Refer).
func (p *Protocol) referMigrating(ctx context.Context, regURL, appURL, consumer *common.URL) (rpc.Invoker, error) {
	shown := displayURL(regURL)
	key := consumer.ServiceKey()
	m := &migrationInvoker{
		p: p, regURL: regURL, appURL: appURL, consumer: consumer, shown: shown,
		log:   p.logger.With("service", key, "registry", shown),
		done:  make(chan struct{}),
		kick:  make(chan struct{}, 1),
		first: make(chan struct{}),
	}
	m.sides.Store(&sideSet{})
	m.route.Store(&route{})

	app := consumer.ParamOr(common.ApplicationKey, "")
	cc := p.configCenter(regURL)
	if cc != nil && app != "" {
		stop, err := cc.Watch(migration.RuleKey(app), migration.RuleGroup, m.onRule)
		if err != nil {
			m.log.Warn("migration rule not watched", "key", migration.RuleKey(app), "error", err)
		} else {
			m.stopWatch = stop
			m.waitFirst(ctx, p.healthOf(cc))
		}
	}
	m.mu.Lock()
	if ev := m.pending.Swap(nil); ev != nil {
		m.takeRule(*ev)
	}
	d, err := m.decide()
	if err == nil {
		err = m.migrate(ctx, d, true)
	}
	m.mu.Unlock()
	if err != nil {
		m.Destroy()
		return nil, fmt.Errorf("refer %s through %s: %w", key, shown, err)
	}
	if m.stopWatch != nil {
		m.loopDone = make(chan struct{})
		go m.loop()
	}

	p.mu.Lock()
	destroyed := p.destroyed
	if !destroyed {
		if p.migrating == nil {
			p.migrating = map[*migrationInvoker]struct{}{}
		}
		p.migrating[m] = struct{}{}
	}
	p.mu.Unlock()
	if destroyed {
		m.Destroy()
		return nil, fmt.Errorf("refer %s through %s: %w", key, shown, ErrDestroyed)
	}
	if consumer.ParamBool(common.CheckKey, true) {
		set := m.sides.Load()
		if set.iface.count() == 0 && set.app.count() == 0 {
			m.Destroy()
			return nil, noProviderError(consumer, shown)
		}
	}
	return m, nil
}

// onRule takes a state of the rule key (the config center's goroutine):
// the latest is kept and the loop applies it.
func (m *migrationInvoker) onRule(ev configcenter.Event) {
	m.pending.Store(&ev)
	m.once.Do(func() { close(m.first) })
	select {
	case m.kick <- struct{}{}:
	default:
	}
}

// waitFirst waits for the rule key's first state, as governance waits for
// its keys, so that a rule in force applies to the first call.
func (m *migrationInvoker) waitFirst(ctx context.Context, health *centerHealth) {
	d := m.p.opts.ruleWait
	if d <= 0 || health.slow.Load() {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-m.first:
		health.slow.Store(false)
	case <-t.C:
		health.slow.Store(true)
		m.log.Warn("config center did not answer in time; the migration rule applies when it does", "waited", d)
	case <-ctx.Done():
	}
}

// loop applies the rule's changes until Destroy.
func (m *migrationInvoker) loop() {
	defer close(m.loopDone)
	for {
		select {
		case <-m.done:
			return
		case <-m.kick:
		}
		ev := m.pending.Swap(nil)
		if ev == nil {
			continue
		}
		m.mu.Lock()
		if m.destroyed {
			m.mu.Unlock()
			return
		}
		if m.takeRule(*ev) {
			if d, err := m.decide(); err != nil {
				m.log.Warn("migration step not changed", "reason", err)
			} else {
				ctx, cancel := context.WithTimeout(context.Background(), m.p.opts.timeout+d.Delay)
				if err := m.migrate(ctx, d, false); err != nil && !errors.Is(err, ErrDestroyed) {
					m.log.Warn("migration failed; the previous step stays", "step", d.Step, "error", err)
				}
				cancel()
			}
		}
		m.mu.Unlock()
	}
}

// takeRule makes a state of the rule key the rule in force (under m.mu):
// a deletion or an empty rule removes it (Java's INIT: the params and the
// default decide), a rule that does not parse is logged and the previous
// one stays. It reports whether the rule changed.
func (m *migrationInvoker) takeRule(ev configcenter.Event) bool {
	if ev.Deleted || strings.TrimSpace(ev.Content) == "" {
		if m.rule == nil {
			return false
		}
		m.rule = nil
		m.log.Info("migration rule removed", "key", ev.Key)
		return true
	}
	r, err := migration.Parse([]byte(ev.Content))
	if err != nil {
		m.log.Warn("migration rule rejected; the previous step stays", "key", ev.Key, "reason", err)
		return false
	}
	m.rule = r
	m.log.Info("migration rule applied", "key", ev.Key)
	return true
}

// decide resolves the reference's decision under the rule in force (under m.mu).
func (m *migrationInvoker) decide() (migration.Decision, error) {
	var apps []string
	for _, a := range strings.Split(m.consumer.ParamOr(providedByKey, ""), ",") {
		if a = strings.TrimSpace(a); a != "" {
			apps = append(apps, a)
		}
	}
	set := m.sides.Load()
	for _, s := range []*migrationSide{set.iface, set.app} {
		if s != nil {
			if a := tag.ProviderApplication(s.dir.Invokers()); a != "" && !slices.Contains(apps, a) {
				apps = append(apps, a)
			}
		}
	}
	return migration.Resolve(m.rule, m.consumer, apps)
}

// migrate moves the reference to d (under m.mu), as Java's
// MigrationInvoker does. APPLICATION_FIRST refers both sides (an
// application-level side that cannot be referred is logged; the
// reference stays interface-level). A forced step refers its side; when
// the other side is there and d.Force is not set, it waits d.Delay and
// moves only when the comparator agrees (the new side holds providers and
// passes the threshold), else the reference keeps its previous step. The
// side calls leave is destroyed once its calls in flight are done.
func (m *migrationInvoker) migrate(ctx context.Context, d migration.Decision, initial bool) error {
	if m.destroyed {
		return ErrDestroyed
	}
	cur := m.sides.Load()
	next := &sideSet{iface: cur.iface, app: cur.app, d: d}
	var err error
	if d.Step.UsesInterface() && next.iface == nil {
		if next.iface, err = m.referSide(ctx, false); err != nil {
			if d.Step == migration.ForceInterface || initial {
				return err
			}
			m.log.Warn("interface-level side not referred", "error", err)
		}
	}
	if d.Step.UsesApplication() && next.app == nil {
		if next.app, err = m.referSide(ctx, true); err != nil {
			if d.Step == migration.ForceApplication {
				m.dropNew(cur, next)
				return err
			}
			if oe := (*openError)(nil); errors.As(err, &oe) {
				m.log.Debug("application-level discovery unavailable; interface-level only", "error", err)
			} else {
				m.log.Warn("application-level side not referred; interface-level only", "error", err)
			}
		}
	}
	var leaving []*migrationSide
	destroyed := func() bool {
		select {
		case <-m.done:
			m.dropNew(cur, next)
			return true
		default:
			return false
		}
	}
	// A forced step keeps one side and drops the other, unless (without
	// force) the kept side has too few providers against it.
	var keep, drop **migrationSide
	keepName, dropName := "interface-level", "application-level"
	switch d.Step {
	case migration.ForceInterface:
		keep, drop = &next.iface, &next.app
	case migration.ForceApplication:
		keep, drop = &next.app, &next.iface
		keepName, dropName = dropName, keepName
	}
	if drop != nil && *drop != nil {
		if !d.Force && !m.compare(ctx, d, *keep, *drop) {
			if destroyed() {
				return ErrDestroyed
			}
			m.dropNew(cur, next)
			return fmt.Errorf("%s side has %d providers against %d %s: below threshold %g",
				keepName, (*keep).count(), (*drop).count(), dropName, d.Threshold)
		}
		leaving, *drop = append(leaving, *drop), nil
	}
	if next.iface == nil && next.app == nil {
		return errors.New("no side referred")
	}
	m.sides.Store(next)
	m.recompute()
	level := slog.LevelInfo
	if initial {
		level = slog.LevelDebug
	}
	m.log.Log(ctx, level, "migrated", "step", d.Step, "threshold", d.Threshold, "proportion", d.Proportion,
		"interface.providers", next.iface.count(), "application.providers", next.app.count())
	for _, s := range leaving {
		m.retire(s)
	}
	return nil
}

// compare waits delay (Java's migration delay: time for the new side's
// providers to arrive), then asks the comparator whether calls should
// move from the current side to target.
func (m *migrationInvoker) compare(ctx context.Context, d migration.Decision, target, current *migrationSide) bool {
	if d.Delay > 0 {
		t := time.NewTimer(d.Delay)
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
		case <-m.done:
			return false // destroyed: no move
		}
	}
	return migration.ShouldMigrate(target.count(), current.count(), d.Threshold)
}

// dropNew destroys the sides next referred that cur did not hold: a
// migration that did not happen leaves the reference as it was.
func (m *migrationInvoker) dropNew(cur, next *sideSet) {
	if next.iface != nil && next.iface != cur.iface {
		next.iface.invoker.Destroy()
	}
	if next.app != nil && next.app != cur.app {
		next.app.invoker.Destroy()
	}
}

// referSide refers one side; each notification it takes re-decides where
// calls go.
func (m *migrationInvoker) referSide(ctx context.Context, app bool) (*migrationSide, error) {
	u := m.regURL
	if app {
		u = m.appURL
	}
	s, err := m.p.referSide(ctx, u, m.consumer, m.recompute)
	if err != nil {
		return nil, err
	}
	return &migrationSide{side: s, app: app}, nil
}

// recompute decides where calls go from the sides held and their
// providers: for APPLICATION_FIRST the application-level side when the
// comparator prefers it, else the interface-level one.
func (m *migrationInvoker) recompute() {
	m.decideMu.Lock()
	defer m.decideMu.Unlock()
	set := m.sides.Load()
	r := &route{proportion: set.d.Proportion}
	switch {
	case set.app == nil:
		r.preferred = set.iface
	case set.iface == nil:
		r.preferred = set.app
	case migration.ShouldMigrate(set.app.count(), set.iface.count(), set.d.Threshold):
		r.preferred, r.other = set.app, set.iface
	default:
		r.preferred = set.iface
	}
	old := m.route.Swap(r)
	if old.preferred != nil && r.preferred != nil && old.preferred.app != r.preferred.app {
		level := "interface"
		if r.preferred.app {
			level = "application"
		}
		m.log.Info("calls go to "+level+"-level providers", "interface.providers", set.iface.count(),
			"application.providers", set.app.count(), "threshold", set.d.Threshold)
	}
}

// retire destroys a side calls no longer reach, after the calls in flight
// on it are done (at most retireWait).
func (m *migrationInvoker) retire(s *migrationSide) {
	s.retired.Store(true)
	deadline := time.Now().Add(retireWait)
	for s.inflight.Load() > 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	s.invoker.Destroy()
}

// pick returns the side a call goes to.
func (r *route) pick() *migrationSide {
	if r.other != nil && r.proportion < 100 && rand.IntN(100) >= r.proportion {
		return r.other
	}
	return r.preferred
}

// URL implements protocol.Invoker: the URL of the side calls go to (its
// consumer URL with the configurators in force), else the consumer URL.
func (m *migrationInvoker) URL() *common.URL {
	if s := m.route.Load().preferred; s != nil {
		return s.invoker.URL()
	}
	return m.consumer
}

// Invoke implements protocol.Invoker: the call goes to the side the route
// picks.
func (m *migrationInvoker) Invoke(ctx context.Context, inv rpc.Invocation) rpc.Result {
	for range 8 {
		s := m.route.Load().pick()
		if s == nil {
			break
		}
		s.inflight.Add(1)
		if s.retired.Load() { // the route moved away from it meanwhile
			s.inflight.Add(-1)
			continue
		}
		res := s.invoker.Invoke(ctx, inv)
		s.inflight.Add(-1)
		return res
	}
	return rpc.ErrorResult(rpc.NewError(rpc.KindNetwork, m.consumer.ServiceKey(), inv.MethodName(), "",
		"reference destroyed", ErrDestroyed))
}

// IsAvailable implements protocol.Invoker: either side is.
func (m *migrationInvoker) IsAvailable() bool {
	set := m.sides.Load()
	return (set.iface != nil && set.iface.invoker.IsAvailable()) || (set.app != nil && set.app.invoker.IsAvailable())
}

// Unwrap implements cluster.Unwrapper: the cluster invoker calls go to
// now, so cluster.DirectoryOf and cluster.Outliers see it.
func (m *migrationInvoker) Unwrap() rpc.Invoker {
	if s := m.route.Load().preferred; s != nil {
		return s.invoker
	}
	return nil
}

// Destroy implements protocol.Invoker: it stops the rule's watch and
// destroys both sides. Idempotent.
func (m *migrationInvoker) Destroy() {
	m.doneOnce.Do(func() { close(m.done) }) // first: a migration waiting on its delay gives up
	m.mu.Lock()
	if m.destroyed {
		m.mu.Unlock()
		return
	}
	m.destroyed = true
	stop := m.stopWatch
	set := m.sides.Swap(&sideSet{})
	m.route.Store(&route{})
	m.mu.Unlock()
	if stop != nil {
		stop()
	}
	if m.loopDone != nil {
		<-m.loopDone
	}
	for _, s := range []*migrationSide{set.iface, set.app} {
		if s != nil {
			s.retired.Store(true)
			s.invoker.Destroy()
		}
	}
	m.p.mu.Lock()
	delete(m.p.migrating, m)
	m.p.mu.Unlock()
}

// Sides returns the cluster invokers under a reference's invoker, looking
// through wrappers (cluster.Unwrapper): for a reference that uses both
// discovery levels, the interface-level one then the application-level
// one, those referred now; nil for any other invoker (its directory is
// cluster.DirectoryOf's). For tools and admin pages, which must not
// destroy them.
func Sides(invoker rpc.Invoker) []rpc.Invoker {
	for range 64 {
		switch v := invoker.(type) {
		case *migrationInvoker:
			set := v.sides.Load()
			var out []rpc.Invoker
			for _, s := range []*migrationSide{set.iface, set.app} {
				if s != nil {
					out = append(out, s.invoker)
				}
			}
			return out
		case cluster.Unwrapper:
			invoker = v.Unwrap()
		default:
			return nil
		}
	}
	return nil
}

// Step returns the migration step of a reference's invoker (looking
// through wrappers) and whether calls go to application-level providers
// now; ok is false for an invoker that does not migrate.
func Step(invoker rpc.Invoker) (step migration.Step, application bool, ok bool) {
	for range 64 {
		switch v := invoker.(type) {
		case *migrationInvoker:
			r := v.route.Load()
			return v.sides.Load().d.Step, r.preferred != nil && r.preferred.app, true
		case cluster.Unwrapper:
			invoker = v.Unwrap()
		default:
			return "", false, false
		}
	}
	return "", false, false
}

// changeListener passes notifications on, then reports them.
type changeListener struct {
	next    registry.NotifyListener
	changed func()
}

// Notify implements registry.NotifyListener.
func (l *changeListener) Notify(urls []*common.URL) {
	l.next.Notify(urls)
	l.changed()
}

// String names the listener for logs.
func (l *changeListener) String() string { return fmt.Sprintf("migrating %v", l.next) }
