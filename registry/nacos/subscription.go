package nacos

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/nacos-group/nacos-sdk-go/v2/model"

	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/registry"
)

// subscription is one Subscribe call: a listener, the Nacos service names
// it reads and the lists (groups) it delivers.
type subscription struct {
	r        *Registry   // immutable
	url      *common.URL // immutable
	listener registry.NotifyListener
	any      bool // interface *; immutable
	concrete bool // one service, names known up front; immutable

	// mu serialises deliveries to listener (they never overlap) and
	// guards the fields below.
	mu      sync.Mutex
	ready   bool // the initial lists were delivered
	stopped bool
	sources map[string]*source // by Nacos service name
	groups  map[string]*group  // by groupKey
}

// source is one Nacos service name of a subscription and its last state.
type source struct {
	name   string
	g      *group
	cache  instanceCache
	urls   []keyedURL // the matching URLs of the last state
	have   bool       // a state was received
	cancel func()     // ends the client's subscription; nil until subscribed
}

// group is what one notification carries: one category of one service,
// merged from its sources.
type group struct {
	category  string
	svc       *common.URL // the URL matched against; immutable
	sources   []*source
	delivered bool        // a list was notified
	empty     bool        // the last list notified was empty://
	held      *time.Timer // an empty list held back after a reconnection
}

func groupKey(any bool, iface, category string) string {
	if any {
		return iface + "\x00" + category
	}
	return category
}

// categoryOf is the category segment of a service name.
func categoryOf(name string) string {
	c, _, _ := strings.Cut(name, nameSeparator)
	return c
}

// serviceURL is the URL a * subscription matches one service with: its
// own URL with that service as path and interface, and check=false.
func serviceURL(url *common.URL, iface string) *common.URL {
	return url.WithPath(iface).WithParams(map[string]string{common.InterfaceKey: iface, common.CheckKey: "false"})
}

// Subscribe implements registry.Registry. The lists of every service name
// the subscription reads are fetched and delivered, one notification per
// category, before Subscribe returns; changes are delivered after.
// Subscribing the same listener to an equal URL again replaces the earlier
// subscription. Notify must not call Subscribe or Unsubscribe of this
// registry.
func (r *Registry) Subscribe(ctx context.Context, url *common.URL, listener registry.NotifyListener) error {
	if listener == nil {
		return fmt.Errorf("nacos: subscribe %s: nil listener", url)
	}
	if url.ServiceInterface() == "" {
		return fmt.Errorf("nacos: subscribe %s: no interface", url)
	}
	ctx, cancel := context.WithTimeout(ctx, r.cfg.Timeout)
	defer cancel()
	s := &subscription{
		r:        r,
		url:      url,
		listener: listener,
		any:      url.ServiceInterface() == common.AnyValue,
		concrete: isConcrete(url),
		sources:  map[string]*source{},
		groups:   map[string]*group{},
	}
	if !s.any { // a service's categories are notified even with no name found
		for _, c := range watchedCategories(url) {
			s.groups[groupKey(false, "", c)] = &group{category: c, svc: url}
		}
	}
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return fmt.Errorf("nacos: subscribe %s: %w", url, ErrClosed)
	}
	replaced := r.removeLocked(url, listener)
	r.subs = append(r.subs, s)
	r.mu.Unlock()
	for _, old := range replaced {
		runAll(old.stop())
	}

	if err := r.scan(ctx, s); err != nil {
		r.mu.Lock()
		r.removeSubLocked(s)
		r.mu.Unlock()
		runAll(s.stop())
		return fmt.Errorf("nacos: subscribe %s: %w", url, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopped {
		return nil
	}
	s.ready = true
	for _, g := range s.sortedGroups() {
		s.deliverLocked(g)
	}
	return nil
}

// scan subscribes the names of s not subscribed yet.
func (r *Registry) scan(ctx context.Context, s *subscription) error {
	names, err := r.namesFor(ctx, s.url)
	if err != nil {
		return err
	}
	for _, n := range names {
		if err := s.add(ctx, n); err != nil {
			return err
		}
	}
	return nil
}

// add subscribes the service name n unless it is already; once the
// initial lists are out, its group is delivered again.
func (s *subscription) add(ctx context.Context, n string) error {
	s.mu.Lock()
	if s.stopped || s.sources[n] != nil {
		s.mu.Unlock()
		return nil
	}
	category, iface := categoryOf(n), s.url.ServiceInterface()
	if p, ok := parseName(n); ok && s.any {
		iface = p.iface
	}
	k := groupKey(s.any, iface, category)
	g := s.groups[k]
	if g == nil {
		svc := s.url
		if s.any {
			svc = serviceURL(s.url, iface)
		}
		g = &group{category: category, svc: svc}
		s.groups[k] = g
	}
	src := &source{name: n, g: g}
	s.sources[n] = src
	g.sources = append(g.sources, src)
	s.mu.Unlock()

	cur, cancel, err := s.r.client.Subscribe(ctx, n, s.r.cfg.Group, func(svc model.Service) { s.update(src, svc) })
	s.mu.Lock()
	src.cancel = cancel
	if s.stopped {
		s.mu.Unlock()
		cancel()
		return nil
	}
	if err != nil {
		s.mu.Unlock()
		return err
	}
	if !src.have {
		s.applyLocked(src, cur)
	}
	if s.ready {
		s.deliverLocked(g)
	}
	s.mu.Unlock()
	return nil
}

// update takes a new state of one source (from the client's push or poll
// goroutine) and delivers its group.
func (s *subscription) update(src *source, svc model.Service) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopped {
		return
	}
	s.applyLocked(src, svc)
	if s.ready {
		s.deliverLocked(src.g)
	}
}

func (s *subscription) applyLocked(src *source, svc model.Service) {
	src.urls = src.cache.urls(svc.Hosts, src.g.category, src.g.svc)
	src.have = true
}

// deliverLocked notifies g's merged list, or one empty:// URL; a list
// that turns empty within the grace after a reconnection is held back
// until the grace ends. s.mu is held.
func (s *subscription) deliverLocked(g *group) {
	if s.stopped {
		return
	}
	n := 0
	for _, src := range g.sources {
		n += len(src.urls)
	}
	var urls []*common.URL
	if n == 0 {
		if left, ok := s.r.inGrace(); ok && g.delivered && !g.empty {
			if g.held == nil {
				s.r.log.Info("holding an empty list after reconnecting", "url", g.svc.String(), "category", g.category, "for", left)
				g.held = time.AfterFunc(left, func() {
					s.mu.Lock()
					defer s.mu.Unlock()
					g.held = nil
					s.deliverLocked(g)
				})
			}
			return
		}
		urls = []*common.URL{emptyURL(g.svc, g.category)}
	} else {
		keyed := make([]keyedURL, 0, n)
		for _, src := range g.sources {
			keyed = append(keyed, src.urls...)
		}
		urls = sortedURLs(keyed)
	}
	if g.held != nil {
		g.held.Stop()
		g.held = nil
	}
	g.delivered, g.empty = true, urls[0].Protocol() == common.EmptyProtocol
	s.notify(urls)
}

// notify calls the listener; a panic in it is logged, not spread to the
// client's goroutine (the next change delivers the full list again).
func (s *subscription) notify(urls []*common.URL) {
	defer func() {
		if p := recover(); p != nil {
			s.r.log.Error("listener panicked", "url", s.url.String(), "panic", p)
		}
	}()
	s.listener.Notify(urls)
}

// sortedGroups lists s's groups in a stable order. s.mu is held.
func (s *subscription) sortedGroups() []*group {
	keys := make([]string, 0, len(s.groups))
	for k := range s.groups {
		keys = append(keys, k)
	}
	sortStrings(keys)
	out := make([]*group, len(keys))
	for i, k := range keys {
		out[i] = s.groups[k]
	}
	return out
}

func sortStrings(s []string) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

// stop ends deliveries and returns the functions that end the client's
// subscriptions (they may send a request: call them without locks).
func (s *subscription) stop() []func() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stopped = true
	var out []func()
	for _, src := range s.sources {
		if src.cancel != nil {
			out = append(out, src.cancel)
			src.cancel = nil
		}
	}
	for _, g := range s.groups {
		if g.held != nil {
			g.held.Stop()
			g.held = nil
		}
	}
	return out
}

func runAll(fns []func()) {
	for _, f := range fns {
		f()
	}
}

// Unsubscribe implements registry.Registry: it ends every subscription of
// listener to a URL equal to url. A delivery in progress completes before
// it returns; none starts after.
func (r *Registry) Unsubscribe(_ context.Context, url *common.URL, listener registry.NotifyListener) error {
	r.mu.Lock()
	removed := r.removeLocked(url, listener)
	r.mu.Unlock()
	for _, s := range removed {
		runAll(s.stop())
	}
	return nil
}

// removeLocked removes and returns the subscriptions of listener to url.
func (r *Registry) removeLocked(url *common.URL, listener registry.NotifyListener) []*subscription {
	var removed []*subscription
	kept := r.subs[:0]
	for _, s := range r.subs {
		if s.url.Equal(url) && registry.SameListener(s.listener, listener) {
			removed = append(removed, s)
		} else {
			kept = append(kept, s)
		}
	}
	clear(r.subs[len(kept):])
	r.subs = kept
	return removed
}

func (r *Registry) removeSubLocked(target *subscription) {
	for i, s := range r.subs {
		if s == target {
			r.subs = append(r.subs[:i], r.subs[i+1:]...)
			return
		}
	}
}
