package memory

import (
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/fleetrpc/fleet/common"
)

// Store holds what an embedded registry knows: the registered URLs by
// interface, and the subscriptions to notify. Sessions (Registry) share a
// Store. Its methods are safe for concurrent use.
type Store struct {
	mu sync.Mutex
	// byInterface maps interface → FullString → registration.
	byInterface map[string]map[string]registration
	subs        map[*subscription]struct{}
}

type registration struct {
	url   *common.URL
	owner *Registry
}

// NewStore returns an empty store.
func NewStore() *Store {
	return &Store{byInterface: map[string]map[string]registration{}, subs: map[*subscription]struct{}{}}
}

// add registers u for owner and queues notifications.
func (s *Store) add(u *common.URL, owner *Registry) {
	s.mu.Lock()
	defer s.mu.Unlock()
	iface := u.ServiceInterface()
	byKey := s.byInterface[iface]
	if byKey == nil {
		byKey = map[string]registration{}
		s.byInterface[iface] = byKey
	}
	k := u.FullString()
	if _, ok := byKey[k]; ok {
		return
	}
	byKey[k] = registration{url: u, owner: owner}
	s.changedLocked(iface, u.Category())
}

// remove withdraws u if owner registered it.
func (s *Store) remove(u *common.URL, owner *Registry) {
	s.mu.Lock()
	defer s.mu.Unlock()
	iface := u.ServiceInterface()
	byKey := s.byInterface[iface]
	k := u.FullString()
	if r, ok := byKey[k]; !ok || r.owner != owner {
		return
	}
	delete(byKey, k)
	if len(byKey) == 0 {
		delete(s.byInterface, iface)
	}
	s.changedLocked(iface, u.Category())
}

// changedLocked queues, for every subscription interested in the
// (interface, category) pair, its new list when it differs from the last
// one queued.
func (s *Store) changedLocked(iface, category string) {
	for sub := range s.subs {
		if !sub.wants(iface, category) {
			continue
		}
		sub.offer(iface, category, s.listLocked(sub, iface, category))
	}
}

// listLocked is the full list of one category of one interface as sub sees
// it: the matching URLs sorted by their string form, or one empty:// URL.
func (s *Store) listLocked(sub *subscription, iface, category string) []*common.URL {
	var urls []*common.URL
	for _, r := range s.byInterface[iface] {
		if r.url.Category() == category && common.IsMatch(sub.url, r.url) {
			urls = append(urls, r.url)
		}
	}
	if len(urls) == 0 {
		return []*common.URL{sub.emptyURL(iface, category)}
	}
	sort.Slice(urls, func(i, j int) bool { return urls[i].FullString() < urls[j].FullString() })
	return urls
}

// subscribe adds sub and queues its initial lists: every subscribed
// category of its interface, or, for *, every category of every interface
// that has URLs of it.
func (s *Store) subscribe(sub *subscription) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.subs[sub] = struct{}{}
	if !sub.any {
		for _, c := range sub.categories {
			sub.offer(sub.iface, c, s.listLocked(sub, sub.iface, c))
		}
		return
	}
	ifaces := make([]string, 0, len(s.byInterface))
	for iface := range s.byInterface {
		ifaces = append(ifaces, iface)
	}
	sort.Strings(ifaces)
	for _, iface := range ifaces {
		for _, c := range sub.categories {
			if s.hasLocked(iface, c) {
				sub.offer(iface, c, s.listLocked(sub, iface, c))
			}
		}
	}
}

func (s *Store) hasLocked(iface, category string) bool {
	for _, r := range s.byInterface[iface] {
		if r.url.Category() == category {
			return true
		}
	}
	return false
}

func (s *Store) unsubscribe(sub *subscription) {
	s.mu.Lock()
	delete(s.subs, sub)
	s.mu.Unlock()
}

// lookup returns the URLs matching consumer in its categories.
func (s *Store) lookup(consumer *common.URL) []*common.URL {
	s.mu.Lock()
	defer s.mu.Unlock()
	categories := subscribedCategories(consumer)
	var out []*common.URL
	for iface, byKey := range s.byInterface {
		if consumer.ServiceInterface() != common.AnyValue && iface != consumer.ServiceInterface() {
			continue
		}
		for _, r := range byKey {
			if slices.Contains(categories, r.url.Category()) && common.IsMatch(consumer, r.url) {
				out = append(out, r.url)
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].FullString() < out[j].FullString() })
	return out
}

// subscribedCategories lists the categories a consumer URL asks for
// (default providers).
func subscribedCategories(u *common.URL) []string {
	raw, _ := u.Param(common.CategoryKey)
	if strings.TrimSpace(raw) == "" {
		return []string{common.ProvidersCategory}
	}
	cats := u.ParamList(common.CategoryKey)
	if slices.Contains(cats, common.AnyValue) {
		return []string{common.ProvidersCategory, common.ConsumersCategory, common.RoutersCategory, common.ConfiguratorsCategory}
	}
	return cats
}
