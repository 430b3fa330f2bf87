package directory

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/configurator"
	"github.com/fleetrpc/fleet/protocol"
	"github.com/fleetrpc/fleet/router"
)

// Category values a directory accepts besides providers, configurators and
// routers (directory.md §2).
const (
	dynamicConfiguratorsCategory    = "dynamicconfigurators"
	appDynamicConfiguratorsCategory = "appdynamicconfigurators"
	compatibleConfigKey             = "compatible_config"
)

// RegistryDirectory is the directory of one service fed by a registry: a
// registry.NotifyListener that turns each full list the registry pushes
// (providers, configurators, routers) into invokers, as Java Dubbo 2.7's
// RegistryDirectory does (../shared/reference/directory.md), with Dubbo
// 2.6's per-method invoker map.
//
// Its state is one immutable snapshot behind an atomic pointer: List, URL
// and IsAvailable read it without a lock, and List does not allocate.
// Notify builds the next snapshot and swaps it in; notifications are
// applied one at a time, in the order they are called. Invokers of
// providers that went away are destroyed after the new snapshot is in
// place, so a call that listed them a moment earlier may still use them
// until their protocol fails it.
//
// The directory owns its provider invokers: Destroy (or a forbidding push)
// destroys them. It starts no goroutine.
type RegistryDirectory struct {
	// immutable
	consumer     *common.URL // the consumer URL the directory was built for
	opts         options
	logger       *slog.Logger
	localHost    string
	multiGroup   bool
	protocolsIn  []string // the consumer's protocol list; nil accepts every protocol
	forbiddenErr error
	destroyedErr error

	snap      atomic.Pointer[snapshot] // stored under mu; loaded lock-free by List, URL, IsAvailable
	destroyed atomic.Bool              // set first thing by Destroy

	mu sync.Mutex // serialises Notify and Destroy; guards the update state below
	// update state (mu)
	closed        bool
	merger        *merger
	configurators []configurator.Configurator // from the registry
	dynamic       []configurator.Configurator // application-level, then service-level
	applied       []configurator.Configurator // configurators, then dynamic
	gen           uint64                      // bumped when applied changes
	routers       []router.Router             // from the registry
	dynRouters    []router.Router             // from a config center (SetDynamicRouters)
	cached        []*common.URL               // the last non-empty providers list
	fastOK        bool                        // the state fits an incremental refresh (refreshFast) under fastGen
	fastGen       uint64
	noFast        bool // tests: always refresh in full
	byRaw         map[*common.URL]*rawInfo
	byHash        map[uint64]*entry
	current       []*entry     // the entries of the published snapshot's invokers, sorted; edited in place (no snapshot holds it)
	currentSets   []*methodSet // per entry of current, its method set, kept by incremental refreshes; nil when not kept
	epoch         uint64
	forbidden     bool
	protos        map[string]protocol.Protocol
	methodSets    map[string]*methodSet
	keySets       map[uint64]*keySet
	hasher        urlHasher
}

var _ Directory = (*RegistryDirectory)(nil)

// NewRegistry returns a directory for the consumer URL (the directory URL
// of directory.md §1: common.ConsumerURLFromRegistry of the registry URL
// used to refer): its interface, group, version and every consumer
// parameter. It fails when the URL names no service. The directory is
// empty until the first Notify; it is subscribed by whoever holds it
// (package registry/protocol).
func NewRegistry(consumer *common.URL, opts ...Option) (*RegistryDirectory, error) {
	if consumer == nil || consumer.ServiceKey() == "" {
		return nil, fmt.Errorf("directory: registry service key is empty in consumer url %v", consumer)
	}
	d := &RegistryDirectory{consumer: consumer}
	for _, o := range opts {
		o(&d.opts)
	}
	d.logger = d.opts.logger
	if d.logger == nil {
		d.logger = slog.Default()
	}
	d.logger = d.logger.With("component", "directory", "service", consumer.ServiceKey())
	d.localHost = consumer.Host()
	d.multiGroup = IsMultiGroup(consumer)
	if p, _ := consumer.Param(common.ProtocolKey); p != "" {
		d.protocolsIn = strings.Split(p, ",")
	}
	registryAddr := ""
	if d.opts.registryURL != nil {
		registryAddr = d.opts.registryURL.Address()
	}
	d.forbiddenErr = protocol.NewError(protocol.KindForbidden, consumer.ServiceKey(), "", "", fmt.Sprintf(
		"No provider available from registry %s for service %s on consumer %s use dubbo version %s, "+
			"please check status of providers(disabled, not registered or in blacklist).",
		registryAddr, consumer.ServiceKey(), d.localHost, consumer.ParamOr(common.DubboVersionKey, "")), nil)
	d.destroyedErr = protocol.NewError(protocol.KindNoProvider, consumer.ServiceKey(), "", "",
		"Directory already destroyed .url: "+consumer.String(), nil)
	d.merger = newMerger(consumer.Params())
	d.byRaw = map[*common.URL]*rawInfo{}
	d.byHash = map[uint64]*entry{}
	d.protos = map[string]protocol.Protocol{}
	d.methodSets = map[string]*methodSet{}
	d.keySets = map[uint64]*keySet{}
	d.hasher = newURLHasher()
	d.snap.Store(&snapshot{url: consumer, methods: emptyMethods, chain: d.newChain(nil, nil, consumer, nil)})
	return d, nil
}

// URL implements Directory: the consumer URL with the configurators applied
// and the providers' parameters it lacks (directory.md §10); cluster
// strategies read retries and the like from it.
func (d *RegistryDirectory) URL() *common.URL { return d.snap.Load().url }

// ConsumerURL is the consumer URL the directory was built with.
func (d *RegistryDirectory) ConsumerURL() *common.URL { return d.consumer }

// List implements Directory: the invokers listed for inv's method (and
// first argument) by the per-method map, through the router chain; for a
// multi-group directory one invoker per provider group, unrouted. It fails
// while the service is forbidden (protocol.ErrForbidden) and once the
// directory is destroyed. It takes no lock and does not allocate (routers
// permitting).
func (d *RegistryDirectory) List(_ context.Context, inv protocol.Invocation) ([]protocol.Invoker, error) {
	s := d.snap.Load()
	if s.err != nil {
		return nil, s.err
	}
	c := s.methods.lookup(inv)
	if d.multiGroup {
		return c.grouped, nil
	}
	if s.chain == nil || len(c.invokers) == 0 {
		return c.invokers, nil
	}
	return s.chain.Route(c.invokers, inv), nil
}

// IsAvailable implements Directory: not destroyed, not forbidden, and some
// invoker available.
func (d *RegistryDirectory) IsAvailable() bool {
	s := d.snap.Load()
	if s.err != nil {
		return false
	}
	for _, inv := range s.invokers {
		if inv.IsAvailable() {
			return true
		}
	}
	return false
}

// HasInvokers reports whether the directory lists at least one invoker and
// is neither forbidden nor destroyed, whether or not their connections are
// up.
func (d *RegistryDirectory) HasInvokers() bool {
	s := d.snap.Load()
	return s.err == nil && len(s.invokers) > 0
}

// Invokers returns every invoker of the current snapshot, unrouted. The
// caller must not modify the slice.
func (d *RegistryDirectory) Invokers() []protocol.Invoker { return d.snap.Load().invokers }

// Destroy implements Directory: it runs the WithOnDestroy functions
// (unregister, unsubscribe), waits for a Notify in progress, marks the
// directory destroyed and destroys every invoker. Idempotent; a later
// Notify is ignored.
func (d *RegistryDirectory) Destroy() {
	if d.destroyed.Swap(true) {
		return
	}
	for _, fn := range d.opts.onDestroy {
		fn()
	}
	d.mu.Lock()
	d.closed = true
	var doomed []protocol.Invoker
	for _, e := range d.byHash {
		for ; e != nil; e = e.next {
			doomed = append(doomed, e.invoker)
		}
	}
	d.byHash, d.byRaw, d.current, d.currentSets, d.cached = nil, nil, nil, nil, nil
	d.snap.Store(&snapshot{url: d.snap.Load().url, err: d.destroyedErr, methods: emptyMethods})
	d.mu.Unlock()
	for _, inv := range doomed {
		inv.Destroy()
	}
}

// Notify implements registry.NotifyListener: urls is the full current list
// of one category (directory.md §2). It refers new providers (never
// dialing), publishes the new snapshot, then destroys the invokers of
// providers that went away. Calls are serialised; a call after Destroy is
// ignored. The last non-empty providers list is kept (the cache an empty
// push falls back to), so its slice must not be modified afterwards.
func (d *RegistryDirectory) Notify(urls []*common.URL) {
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		return
	}
	var providers, confs, routes []*common.URL
	var hasConfs, hasRoutes bool
	// While every URL so far is a provider, providers is urls[:i] (the
	// listener owns urls): a list of providers only is kept as it came.
	direct := true
	keep := func(u *common.URL) {
		if !direct {
			providers = append(providers, u)
		}
	}
	leave := func(i int) {
		if direct {
			providers = append(make([]*common.URL, 0, len(urls)), urls[:i]...)
			direct = false
		}
	}
	// The walk over the last providers list also finds, for a list of
	// providers only, where the two differ (refreshFast).
	w := walker{old: d.cached}
	diff := listDiff{old: d.cached, limit: len(d.cached)/16 + 8}
	for i, u := range urls {
		if u == nil {
			leave(i)
			continue
		}
		from := w.j
		k := w.find(u)
		diff.note(i, from, k)
		if k >= 0 || d.byRaw[u] != nil {
			// A provider URL seen in the last push: classified then. The
			// walk finds most of them without a map lookup.
			keep(u)
			continue
		}
		category := u.Category()
		switch category {
		case common.ProvidersCategory, common.ConfiguratorsCategory, common.RoutersCategory,
			dynamicConfiguratorsCategory, appDynamicConfiguratorsCategory:
		default:
			if u.Protocol() != common.RouteProtocol {
				d.logger.Warn("notified url skipped: unsupported category", "category", category, "url", u)
				leave(i)
				continue
			}
		}
		if _, ok := u.Param(compatibleConfigKey); ok {
			leave(i)
			continue
		}
		switch {
		case u.Protocol() == common.OverrideProtocol || category == common.ConfiguratorsCategory:
			leave(i)
			hasConfs = true
			confs = append(confs, u)
		case u.Protocol() == common.RouteProtocol || category == common.RoutersCategory:
			leave(i)
			hasRoutes = true
			routes = append(routes, u)
		case category == common.ProvidersCategory:
			keep(u)
		default:
			leave(i)
		}
	}
	var known *listDiff
	if direct {
		providers = urls
		diff.end(w.j)
		diff.list, known = providers, &diff
	}
	if hasConfs {
		d.setConfigurators(configurator.FromURLs(confs, d.localHost, d.logger))
	}
	if hasRoutes {
		d.routers = d.buildRouters(routes)
	}
	doomed := d.refresh(providers, known, hasRoutes)
	d.mu.Unlock()
	for _, inv := range doomed {
		inv.Destroy()
	}
}

// setConfigurators replaces the configurators; an equal list keeps the
// cached provider URLs.
func (d *RegistryDirectory) setConfigurators(cs []configurator.Configurator) {
	same := len(cs) == len(d.configurators)
	for i := 0; same && i < len(cs); i++ {
		same = cs[i].URL().Equal(d.configurators[i].URL())
	}
	d.configurators = cs
	if !same {
		d.gen++
		d.applied = append(slices.Clip(d.configurators), d.dynamic...)
	}
}

// SetDynamicConfigurators sets the configurators a config center gives
// (rules.md §3.6): the application-level list (<app>.configurators), then
// the service-level one (<colon key>.configurators), each already ordered.
// They apply after the registry's override:// list, to every provider and
// to the directory URL, and the providers are refreshed at once from the
// cached list. It is serialised with Notify; ignored after Destroy.
func (d *RegistryDirectory) SetDynamicConfigurators(app, service []configurator.Configurator) {
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		return
	}
	d.dynamic = append(slices.Clip(app), service...)
	d.applied = append(slices.Clip(d.configurators), d.dynamic...)
	d.gen++
	doomed := d.refresh(nil, nil, false)
	d.mu.Unlock()
	for _, inv := range doomed {
		inv.Destroy()
	}
}

// SetDynamicRouters sets the routers a config center gives (rules.md §1.5,
// §2): YAML condition rule sets, the tag router carrying the providers'
// application's tag rule. They join the built-in routers and the
// registry's route:// routers in every chain, in priority order; one of the
// kind of a built-in (router.Kinded: the tag router) takes the built-in's
// place. Each call replaces the previous set; none clears it (the built-ins
// come back). The snapshot is republished at once, its chain compiled with
// the new routers. It is serialised with Notify; ignored after Destroy.
func (d *RegistryDirectory) SetDynamicRouters(rs ...router.Router) {
	d.mu.Lock()
	if d.closed {
		d.mu.Unlock()
		return
	}
	d.dynRouters = slices.Clone(rs)
	doomed := d.refresh(nil, nil, true)
	d.mu.Unlock()
	for _, inv := range doomed {
		inv.Destroy()
	}
}

// buildRouters turns route URLs into routers through the factories: the
// router param names the type, else the protocol. empty:// URLs are
// skipped; an unknown type or a rule that does not parse is logged and
// skipped.
func (d *RegistryDirectory) buildRouters(urls []*common.URL) []router.Router {
	var out []router.Router
	for _, u := range urls {
		if u.Protocol() == common.EmptyProtocol {
			continue
		}
		typ := u.ParamOr(common.RouterKey, u.Protocol())
		f, err := router.Get(typ)
		if err != nil {
			d.logger.Warn("router skipped: unknown type", "type", typ, "url", u, "error", err)
			continue
		}
		r, err := f(u.WithProtocol(typ))
		if err != nil {
			d.logger.Warn("router skipped: rule does not parse", "url", u, "error", err)
			continue
		}
		out = append(out, r)
	}
	return out
}

// newChain builds the chain of the current routers over invokers: from
// prev, when there is one, so that only what changed is compiled again
// (router.Chain.Next; NextMoved when moves, not nil, maps invokers to
// prev's).
func (d *RegistryDirectory) newChain(prev *router.Chain, invokers []protocol.Invoker, url *common.URL, moves *router.Moves) *router.Chain {
	if len(d.opts.routers) == 0 && len(d.routers) == 0 && len(d.dynRouters) == 0 {
		return nil
	}
	rs := router.Replace(d.opts.routers, append(slices.Clip(d.routers), d.dynRouters...))
	switch {
	case prev != nil && moves != nil:
		return prev.NextMoved(rs, invokers, url, *moves)
	case prev != nil:
		return prev.Next(rs, invokers, url)
	}
	return router.NewChain(rs, invokers, url, d.logger)
}

// refresh applies a providers list (directory.md §3) and publishes the
// next snapshot; diff, when not nil, is where providers differs from the
// last list, if it still applies. It returns the invokers to destroy once
// the lock is released.
func (d *RegistryDirectory) refresh(providers []*common.URL, diff *listDiff, routersChanged bool) []protocol.Invoker {
	base := configurator.Apply(d.applied, d.consumer)
	prev := d.snap.Load()
	var bad badParams
	defer bad.log(d.logger)

	if len(providers) == 1 && providers[0].Protocol() == common.EmptyProtocol {
		if d.opts.emptyProtection && len(d.current) > 0 {
			d.logger.Warn("empty providers push ignored: empty protection keeps the last list",
				"providers", len(d.current))
			d.publish(prev, prev.url, d.current, nil, nil, false, routersChanged)
			return nil
		}
		d.forbidden = true
		d.cached, d.fastOK = nil, false
		var doomed []protocol.Invoker
		for _, e := range d.current {
			e.dead = true
			doomed = append(doomed, e.invoker)
		}
		for _, ms := range d.methodSets {
			ms.live = 0
		}
		clear(d.byHash)
		clear(d.byRaw)
		d.current, d.currentSets = nil, nil
		d.publish(prev, base, nil, nil, nil, len(prev.invokers) > 0, routersChanged)
		return doomed
	}
	if len(providers) == 0 {
		if len(d.cached) == 0 {
			d.cached, d.fastOK = nil, false
			d.publish(prev, base, d.current, nil, nil, false, routersChanged)
			return nil
		}
		providers = d.cached
	}
	if d.fastOK && d.fastGen == d.gen && !d.forbidden && !d.noFast {
		if doomed, ok := d.refreshFast(prev, providers, diff, routersChanged, &bad); ok {
			return doomed
		}
	}
	d.cached, d.fastOK = providers, false
	d.forbidden = false

	if len(d.byRaw) == 0 && len(providers) > 64 {
		// First list, or first after forbidden: size the maps once.
		d.byRaw = make(map[*common.URL]*rawInfo, len(providers))
		if len(d.byHash) == 0 {
			d.byHash = make(map[uint64]*entry, len(providers))
		}
	}
	d.epoch++
	epoch := d.epoch
	url := base
	var added []*entry
	accepted := 0
	for _, ks := range d.keySets {
		ks.count, ks.first, ks.firstRaw = 0, nil, nil
	}
	for _, u := range providers {
		ri := d.byRaw[u]
		if ri == nil || ri.gen != d.gen {
			final, ok := d.finalURL(u)
			if !ok {
				delete(d.byRaw, u)
				continue
			}
			if ri == nil {
				ri = &rawInfo{}
				d.byRaw[u] = ri
			}
			h, kh := d.hasher.hash(final)
			*ri = rawInfo{gen: d.gen, url: final, hash: h, keys: d.internKeys(kh)}
		}
		ri.seen = epoch
		if ri.keys.seen != epoch {
			ri.keys.seen = epoch
			url = addAbsentParams(url, ri.url)
		}
		if ri.keys.count == 0 {
			ri.keys.first, ri.keys.firstRaw = ri, u
		}
		ri.keys.count++
		e := d.entryOf(ri)
		if e != nil {
			if e.seen != epoch {
				e.seen = epoch
				e.refs = 0
				accepted++
			}
			e.refs++
			continue
		}
		if e = d.admit(ri, &bad); e == nil {
			continue
		}
		e.seen = epoch
		added = append(added, e)
		accepted++
	}
	if len(d.byRaw) > 2*len(providers)+64 {
		// Forget provider URLs no longer notified, once they pile up.
		for u, ri := range d.byRaw {
			if ri.seen != epoch {
				delete(d.byRaw, u)
			}
		}
	}
	if accepted == 0 {
		d.logger.Warn("every provider url was rejected, keeping the previous invokers",
			"urls", len(providers), "invokers", 0, "list", providers)
		d.publish(prev, url, d.current, nil, nil, false, routersChanged)
		return nil
	}

	var doomed []protocol.Invoker
	for _, e := range d.current {
		if e.seen != epoch {
			doomed = append(doomed, e.invoker)
			d.unlink(e)
		}
	}
	changed := len(added) > 0 || len(doomed) > 0
	if changed {
		d.current, d.currentSets = nextEntries(d.current, added, epoch), nil
	}
	if prev == nil || prev.url == nil || !prev.url.Equal(url) {
		bad.check(url)
	}
	d.publish(prev, url, d.current, nil, nil, changed, routersChanged)
	d.pruneInterned()
	d.fastOK, d.fastGen = true, d.gen
	return doomed
}

// entryOf returns the live entry of ri's URL, or nil, and remembers it in ri.
func (d *RegistryDirectory) entryOf(ri *rawInfo) *entry {
	if ri.entry == nil || ri.entry.dead {
		ri.entry = d.find(ri.hash, ri.url)
	}
	return ri.entry
}

// admit refers the provider of ri, which no entry holds, and returns its
// new entry; nil when the provider is disabled or its refer fails (logged).
func (d *RegistryDirectory) admit(ri *rawInfo, bad *badParams) *entry {
	if !enabled(ri.url) {
		return nil
	}
	inv, err := d.refer(ri.url)
	if err != nil {
		d.logger.Warn("provider skipped: refer failed", "url", ri.url, "error", err)
		return nil
	}
	bad.check(ri.url)
	return d.newEntry(ri, inv)
}

// newEntry makes the entry of ri's final URL with invoker inv and links it
// in: listed once, not yet seen.
func (d *RegistryDirectory) newEntry(ri *rawInfo, inv protocol.Invoker) *entry {
	e := &entry{url: ri.url, hash: ri.hash, invoker: inv, methods: d.internMethods(ri.url), refs: 1}
	e.methods.live++
	e.next = d.byHash[e.hash]
	d.byHash[e.hash] = e
	ri.entry = e
	return e
}

// finalURL returns the URL an invoker of provider u is keyed and referred
// by (directory.md §4 steps 1–6), or false when u is rejected.
func (d *RegistryDirectory) finalURL(u *common.URL) (*common.URL, bool) {
	p := u.Protocol()
	if d.protocolsIn != nil && !slices.Contains(d.protocolsIn, p) {
		return nil, false
	}
	if p == common.EmptyProtocol {
		return nil, false
	}
	if _, err := d.protocol(p); err != nil {
		d.logger.Warn("provider skipped: Unsupported protocol "+p+" in notified url", "url", u, "error", err)
		return nil, false
	}
	return configurator.Apply(d.applied, d.merger.merge(u)), true
}

// protocol returns the protocol that refers URLs of scheme p.
func (d *RegistryDirectory) protocol(p string) (protocol.Protocol, error) {
	if pr := d.opts.protocols[p]; pr != nil {
		return pr, nil
	}
	if pr := d.protos[p]; pr != nil {
		return pr, nil
	}
	pr, err := protocol.Get(p)
	if err != nil {
		return nil, err
	}
	d.protos[p] = pr
	return pr, nil
}

func (d *RegistryDirectory) refer(u *common.URL) (protocol.Invoker, error) {
	pr, err := d.protocol(u.Protocol())
	if err != nil {
		return nil, err
	}
	inv, err := pr.Refer(u)
	if err != nil {
		return nil, fmt.Errorf("refer %s of %s: %w", u.Address(), u.ServiceKey(), err)
	}
	return inv, nil
}

// enabled is directory.md §4 step 8: a non-empty disabled decides, else
// enabled (default true).
func enabled(u *common.URL) bool {
	if u.Has(common.DisabledKey) {
		return !u.ParamBool(common.DisabledKey, false)
	}
	return u.ParamBool(common.EnabledKey, true)
}

func (d *RegistryDirectory) find(hash uint64, u *common.URL) *entry {
	for e := d.byHash[hash]; e != nil; e = e.next {
		if e.url.Equal(u) {
			return e
		}
	}
	return nil
}

func (d *RegistryDirectory) unlink(x *entry) {
	x.dead = true
	x.methods.live--
	head := d.byHash[x.hash]
	if head == x {
		if x.next == nil {
			delete(d.byHash, x.hash)
		} else {
			d.byHash[x.hash] = x.next
		}
		return
	}
	for e := head; e != nil; e = e.next {
		if e.next == x {
			e.next = x.next
			return
		}
	}
}

// nextEntries returns the entries of current seen in epoch with added
// inserted, sorted, as a new slice: current is sorted and added is sorted
// here; each added entry finds its place by binary search, so the cost is
// one pass over current plus O(len(added) log n) comparisons.
func nextEntries(current, added []*entry, epoch uint64) []*entry {
	slices.SortFunc(added, compareEntries)
	n := len(added)
	for _, e := range current {
		if e.seen == epoch {
			n++
		}
	}
	out := make([]*entry, 0, n)
	i := 0
	for _, a := range added {
		pos, _ := slices.BinarySearchFunc(current, a, compareEntries)
		for ; i < pos; i++ {
			if current[i].seen == epoch {
				out = append(out, current[i])
			}
		}
		out = append(out, a)
	}
	for ; i < len(current); i++ {
		if current[i].seen == epoch {
			out = append(out, current[i])
		}
	}
	return out
}

// addAbsentParams adds to url the parameters of provider it lacks, but
// dubbo.tag (directory.md §10).
func addAbsentParams(url, provider *common.URL) *common.URL {
	var add map[string]string
	provider.RangeParams(func(k, v string) bool {
		if k == common.TagKey {
			return true
		}
		if _, ok := url.Param(k); !ok {
			if add == nil {
				add = map[string]string{}
			}
			add[k] = v
		}
		return true
	})
	if add == nil {
		return url
	}
	return url.WithParamsIfAbsent(add)
}

// internKeys returns the interned key set of a key-set hash.
func (d *RegistryDirectory) internKeys(sig uint64) *keySet {
	ks := d.keySets[sig]
	if ks == nil {
		ks = &keySet{}
		d.keySets[sig] = ks
	}
	return ks
}

// internMethods returns the interned method set of u's methods param.
func (d *RegistryDirectory) internMethods(u *common.URL) *methodSet {
	list, _ := u.Param(common.MethodsKey)
	ms := d.methodSets[list]
	if ms == nil {
		ms = newMethodSet(list)
		d.methodSets[list] = ms
	}
	return ms
}

// singleMethodSet returns the method set of every live entry when they all
// have the same one and there are n of them; nil otherwise.
func (d *RegistryDirectory) singleMethodSet(n int) *methodSet {
	var single *methodSet
	for _, ms := range d.methodSets {
		if ms.live == 0 {
			continue
		}
		if single != nil || ms.live != n {
			return nil
		}
		single = ms
	}
	return single
}

// pruneInterned forgets interned sets no URL uses any more, when they have
// piled up.
func (d *RegistryDirectory) pruneInterned() {
	if len(d.methodSets) > 2*len(d.current)+16 {
		live := map[*methodSet]bool{}
		for _, e := range d.current {
			live[e.methods] = true
		}
		for k, ms := range d.methodSets {
			if !live[ms] {
				delete(d.methodSets, k)
			}
		}
	}
	if len(d.keySets) > 2*len(d.byRaw)+16 {
		live := map[*keySet]bool{}
		for _, ri := range d.byRaw {
			live[ri.keys] = true
		}
		for k, ks := range d.keySets {
			if !live[ks] {
				delete(d.keySets, k)
			}
		}
	}
}

// publish swaps in the snapshot of entries under url; invokers, when not
// nil, are the entries' invokers, and moves, when not nil, maps them to
// prev's. changed says whether the entries differ from prev's; when they
// do not, prev's lists are reused, and so is its chain unless the routers
// or the URL changed.
func (d *RegistryDirectory) publish(prev *snapshot, url *common.URL, entries []*entry, invokers []protocol.Invoker, moves *router.Moves, changed, routersChanged bool) {
	s := &snapshot{url: url}
	if d.forbidden {
		s.err = d.forbiddenErr
	}
	if !changed {
		s.invokers, s.methods = prev.invokers, prev.methods
	} else {
		var group func([]protocol.Invoker) []protocol.Invoker
		if d.multiGroup && d.opts.groupCluster != nil {
			join := d.opts.groupCluster
			group = func(list []protocol.Invoker) []protocol.Invoker { return groupInvokers(list, join) }
		}
		single := d.singleMethodSet(len(entries))
		var sets []*methodSet
		if single == nil && invokers != nil {
			// An incremental refresh: keep the method sets beside the
			// entries from now on.
			if d.currentSets == nil {
				d.currentSets = make([]*methodSet, len(entries))
				for i, e := range entries {
					d.currentSets[i] = e.methods
				}
			}
			sets = d.currentSets
		}
		s.methods = buildMethods(entries, sets, invokers, single, group)
		// Share the invokers slice with the map's "*" list.
		s.invokers = s.methods.all.invokers
		if s.invokers == nil {
			s.invokers = []protocol.Invoker{}
		}
	}
	if !changed && !routersChanged && prev.url.Equal(url) {
		s.chain = prev.chain
	} else if s.chain = d.newChain(prev.chain, s.invokers, url, moves); s.chain != nil && !d.multiGroup {
		s.chain.Prepare(s.methods.lists...)
	}
	d.snap.Store(s)
}
