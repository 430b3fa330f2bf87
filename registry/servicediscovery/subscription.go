package servicediscovery

import (
	"context"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/registry"
)

// maxParallelFetches bounds the revisions a registry fetches at once.
const maxParallelFetches = 8

// maxTriesPerRevision bounds the instances asked for one revision in one
// refresh.
const maxTriesPerRevision = 3

// dirty is what a refresh must re-read.
type dirty struct {
	all     bool
	mapping bool
	apps    map[string]bool // /services/<app> children changed
	nodes   map[string]bool // instance node paths whose data changed
}

// subscription is one Subscribe: its watches' state, its instances and
// the last list it notified.
type subscription struct {
	r          *Registry
	url        *common.URL
	listener   registry.NotifyListener
	iface      string
	providedBy []string // fixed applications, or nil: read the mapping
	watch      bool
	kick       chan struct{} // capacity 1: something is dirty
	retryCh    chan struct{} // capacity 1: a retry is due after the period
	quit       chan struct{}
	done       chan struct{}
	stopOnce   sync.Once

	dmu     sync.Mutex // guards pending, appSet
	pending dirty
	appSet  map[string]bool

	used map[revKey]bool // revisions the last build used; guarded by r.mu

	runMu     sync.Mutex // serialises refreshes; guards the fields below
	apps      []string
	instances map[string]map[string]*Instance // app → node name → instance
	lastMD    map[string]*MetadataInfo        // app NUL instance id → metadata last listed with
	last      []string                        // the last notified list, rendered
	urlCache  map[*Instance]instanceURLs      // the last build's URLs per instance
	notified  bool
}

func (r *Registry) newSubscription(url *common.URL, l registry.NotifyListener, watch bool) *subscription {
	s := &subscription{
		r: r, url: url, listener: l, iface: url.ServiceInterface(), watch: watch,
		kick: make(chan struct{}, 1), retryCh: make(chan struct{}, 1), quit: make(chan struct{}), done: make(chan struct{}),
		instances: map[string]map[string]*Instance{},
		pending:   dirty{all: true},
	}
	if pb := url.ParamList(ProvidedByKey); len(pb) > 0 {
		s.providedBy = dedupe(pb)
	}
	return s
}

// wake makes the loop refresh soon.
func (s *subscription) wake() {
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

// retryLater makes the loop refresh after the retry period.
func (s *subscription) retryLater() {
	select {
	case s.retryCh <- struct{}{}:
	default:
	}
}

// markAll marks everything dirty.
func (s *subscription) markAll() {
	s.dmu.Lock()
	s.pending.all = true
	s.dmu.Unlock()
	s.wake()
}

// markMapping marks the mapping dirty.
func (s *subscription) markMapping() {
	s.dmu.Lock()
	s.pending.mapping = true
	s.dmu.Unlock()
	s.wake()
}

// markApp marks the instances of app dirty when this subscription reads
// them.
func (s *subscription) markApp(app string) {
	s.dmu.Lock()
	hit := s.appSet[app]
	if hit {
		if s.pending.apps == nil {
			s.pending.apps = map[string]bool{}
		}
		s.pending.apps[app] = true
	}
	s.dmu.Unlock()
	if hit {
		s.wake()
	}
}

// take returns what is dirty and clears it.
func (s *subscription) take() dirty {
	s.dmu.Lock()
	defer s.dmu.Unlock()
	d := s.pending
	s.pending = dirty{}
	return d
}

// stop ends the loop and waits for it. No notification starts after.
func (s *subscription) stop() {
	s.stopOnce.Do(func() { close(s.quit) })
	<-s.done
	// A refresh run by Subscribe itself may still hold runMu; wait for it.
	s.runMu.Lock()
	s.listener = nil
	s.runMu.Unlock()
	if s.watch {
		s.r.src.release(s, nil)
	}
}

// loop refreshes whenever something is dirty, and after the retry period
// when a read or a fetch failed.
func (s *subscription) loop() {
	defer close(s.done)
	retry := time.NewTimer(time.Hour)
	retry.Stop()
	defer retry.Stop()
	for {
		select {
		case <-s.quit:
			return
		case <-s.retryCh:
			retry.Reset(s.r.retry)
			continue
		case <-s.kick:
		case <-retry.C:
		}
		ctx, cancel := context.WithCancel(context.Background())
		go func() {
			select {
			case <-s.quit:
			case <-ctx.Done():
			}
			cancel()
		}()
		s.runMu.Lock()
		again, err := s.refresh(ctx, 0)
		s.runMu.Unlock()
		cancel()
		if err != nil {
			select {
			case <-s.quit:
				return
			default:
			}
			s.r.log.Warn("application-level discovery: refresh failed, retrying",
				"service", s.url.ServiceKey(), "retry", s.r.retry, "err", err)
		}
		if err != nil || again {
			retry.Reset(s.r.retry)
		}
	}
}

// refresh re-reads what is dirty, fetches missing metadata and notifies
// the listener when the provider list changed (or was never notified).
// again reports metadata that could not be fetched (a retry is due). On a
// read error nothing is notified and everything stays dirty. The caller
// holds runMu.
func (s *subscription) refresh(ctx context.Context, wait time.Duration) (again bool, err error) {
	if err := s.r.src.ready(ctx); err != nil {
		s.markAll()
		return false, err
	}
	d := s.take()
	if err := s.readTopology(ctx, d); err != nil {
		s.dmu.Lock()
		s.pending.all = true
		s.dmu.Unlock()
		return false, err
	}
	list, again := s.build(ctx, wait)
	s.r.retainUsed(s)
	urls := make([]*common.URL, len(list))
	keys := make([]string, len(list))
	for i, r := range list {
		urls[i], keys[i] = r.u, r.s
	}
	if len(urls) == 0 {
		urls = []*common.URL{emptyURL(s.url)}
	}
	if !s.notified || !slices.Equal(keys, s.last) {
		s.last, s.notified = keys, true
		select {
		case <-s.quit:
		default:
			if s.listener != nil {
				s.listener.Notify(urls)
			}
		}
	}
	return again, nil
}

// readTopology brings apps and instances up to date with the source for
// what d marks dirty, arming watches when the subscription watches.
func (s *subscription) readTopology(ctx context.Context, d dirty) error {
	r := s.r
	if err := r.src.ready(ctx); err != nil {
		return err
	}
	apps := s.apps
	switch {
	case s.providedBy != nil:
		apps = s.providedBy
	case d.all || d.mapping || s.apps == nil:
		var err error
		if apps, err = r.src.mapping(ctx, s); err != nil {
			return err
		}
	}
	newSet := make(map[string]bool, len(apps))
	for _, a := range apps {
		newSet[a] = true
	}
	s.dmu.Lock()
	s.appSet = newSet
	s.dmu.Unlock()
	for app := range s.instances {
		if !newSet[app] {
			delete(s.instances, app)
		}
	}
	if s.watch {
		r.src.release(s, newSet)
	}
	s.apps = apps

	for _, app := range apps {
		cur, err := r.src.instances(ctx, s, app, s.instances[app], d)
		if err != nil {
			return err
		}
		s.instances[app] = cur
	}
	return nil
}

// build starts fetching the metadata the instances need, waits for it up
// to wait, and returns the provider URLs of the instances whose metadata
// is at hand, sorted. A fetch still running when the wait ends wakes the
// subscription when it ends; again reports revisions whose fetch failed
// (a retry is due after the retry period).
func (s *subscription) build(ctx context.Context, wait time.Duration) (list []renderedURL, again bool) {
	groups := map[revKey][]*Instance{}
	var keys []revKey
	var all []*Instance
	for _, app := range s.apps {
		insts := s.instances[app]
		names := make([]string, 0, len(insts))
		for n := range insts {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			in := insts[n]
			rev := in.Revision()
			if rev == "" { // logged when read
				continue
			}
			k := revKey{app, rev}
			if _, ok := groups[k]; !ok {
				keys = append(keys, k)
			}
			groups[k] = append(groups[k], in)
			all = append(all, in)
		}
	}
	used := make(map[revKey]bool, len(keys))
	for _, k := range keys {
		used[k] = true
	}
	s.r.mu.Lock()
	s.used = used
	s.r.mu.Unlock()
	byKey := make(map[revKey]*MetadataInfo, len(keys))
	var pending []revKey
	var dones []<-chan struct{}
	for _, k := range keys {
		if md := s.r.cache.peek(k); md != nil {
			byKey[k] = md
			continue
		}
		insts := groups[k]
		done := s.r.cache.start(k, s.wake, func(finish func(*MetadataInfo, error)) {
			s.r.goFetch(func(ctx context.Context) { finish(s.r.fetchRevision(ctx, k, insts)) })
		})
		if done == nil { // failed less than the retry period ago
			again = true
			continue
		}
		pending = append(pending, k)
		dones = append(dones, done)
	}
	if wait > 0 && len(dones) > 0 {
		timer := time.NewTimer(wait)
	waiting:
		for _, d := range dones {
			select {
			case <-d:
			case <-timer.C:
				break waiting
			case <-ctx.Done():
				break waiting
			case <-s.quit:
				break waiting
			}
		}
		timer.Stop()
	}
	for _, k := range pending {
		if md := s.r.cache.peek(k); md != nil {
			byKey[k] = md
		} else if s.r.cache.failed(k) {
			again = true
		} // else still in flight: its end wakes this subscription
	}
	// An instance whose new revision is not fetched yet keeps the metadata
	// it was last listed with, rather than dropping out meanwhile.
	lastMD := make(map[string]*MetadataInfo, len(all))
	mdOf := func(in *Instance) *MetadataInfo {
		id := in.App + "\x00" + in.ID
		md := byKey[revKey{in.App, in.Revision()}]
		if md == nil {
			md = s.lastMD[id]
		}
		if md != nil {
			lastMD[id] = md
		}
		return md
	}
	cache := make(map[*Instance]instanceURLs, len(all))
	seen := make(map[string]bool, len(all))
	for _, in := range all {
		md := mdOf(in)
		if md == nil {
			continue
		}
		iu, ok := s.urlCache[in]
		if !ok || iu.md != md {
			iu = instanceURLs{md: md}
			for _, u := range providerURLs(s.url, in, md) {
				iu.list = append(iu.list, renderedURL{u.FullString(), u})
			}
		}
		cache[in] = iu
		for _, r := range iu.list {
			if !seen[r.s] {
				seen[r.s] = true
				list = append(list, r)
			}
		}
	}
	sort.Slice(list, func(i, j int) bool { return list[i].s < list[j].s })
	if s.watch {
		s.lastMD = lastMD
		s.urlCache = cache
	}
	return list, again
}

// renderedURL is a provider URL with its full string (its identity and
// sort key).
type renderedURL struct {
	s string
	u *common.URL
}

// instanceURLs are the provider URLs one instance gave with one metadata.
type instanceURLs struct {
	md   *MetadataInfo
	list []renderedURL
}

// fetchRevision fetches one revision's metadata: from the metadata report
// node for storage type remote, else from the instances carrying it, one
// after the other (at most maxTriesPerRevision), each failure logged.
func (r *Registry) fetchRevision(ctx context.Context, k revKey, insts []*Instance) (*MetadataInfo, error) {
	if insts[0].StorageType() == StorageRemote {
		data, err := r.src.report(ctx, k.app, k.revision)
		if err == nil {
			var md *MetadataInfo
			if md, err = parseRemoteMetadata(data); err == nil {
				return md, nil
			}
		}
		r.log.Warn("application-level discovery: metadata unavailable, instances skipped",
			"app", k.app, "revision", k.revision, "instances", len(insts), "err", err)
		return nil, err
	}
	var err error
	for i, in := range insts {
		if i == maxTriesPerRevision {
			break
		}
		var md *MetadataInfo
		md, err = r.fetcher.Fetch(ctx, in, k.revision)
		if err == nil {
			return md, nil
		}
		r.log.Warn("application-level discovery: metadata service unreachable, instance skipped",
			"app", k.app, "instance", in.ID, "revision", k.revision, "err", err)
		if ctx.Err() != nil {
			break
		}
	}
	return nil, err
}

// parseMapping reads a mapping node: a comma list of applications.
func parseMapping(s string) []string { return dedupe(strings.Split(s, ",")) }

// dedupe is in's items trimmed, without the empty ones and repeats.
func dedupe(in []string) []string {
	seen := map[string]bool{}
	out := make([]string, 0, len(in))
	for _, a := range in {
		if a = strings.TrimSpace(a); a != "" && !seen[a] {
			seen[a] = true
			out = append(out, a)
		}
	}
	return out
}
