package memory

import (
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/registry"
)

// subscription delivers the lists of one Subscribe call to its listener, in
// order, on a goroutine of its own.
type subscription struct {
	url        *common.URL // the consumer URL; immutable
	listener   registry.NotifyListener
	iface      string   // immutable
	any        bool     // interface is *; immutable
	categories []string // immutable

	mu      sync.Mutex // guards pending, last
	pending []pendingList
	last    map[listKey]string // fingerprint of the last list queued per key

	deliver sync.Mutex // held while delivering: notifications never overlap
	signal  chan struct{}
	done    chan struct{}
	stopped atomic.Bool
}

type listKey struct{ iface, category string }

type pendingList struct {
	key  listKey
	urls []*common.URL
}

func newSubscription(url *common.URL, listener registry.NotifyListener) *subscription {
	iface := url.ServiceInterface()
	return &subscription{
		url:        url,
		listener:   listener,
		iface:      iface,
		any:        iface == common.AnyValue,
		categories: subscribedCategories(url),
		last:       map[listKey]string{},
		signal:     make(chan struct{}, 1),
		done:       make(chan struct{}),
	}
}

func (s *subscription) wants(iface, category string) bool {
	return (s.any || iface == s.iface) && slices.Contains(s.categories, category)
}

// emptyURL is the empty:// placeholder of an empty category: the consumer
// URL with protocol empty and the category set (for a * subscription, also
// the interface), as Java's registries build it.
func (s *subscription) emptyURL(iface, category string) *common.URL {
	u := s.url.WithProtocol(common.EmptyProtocol).WithParam(common.CategoryKey, category)
	if s.any {
		u = u.WithPath(iface).WithParams(map[string]string{common.InterfaceKey: iface, common.CheckKey: "false"})
	}
	return u
}

// offer queues urls as the list of (iface, category) unless it equals the
// last list queued for that key. A list already pending for the key is
// replaced in place.
func (s *subscription) offer(iface, category string, urls []*common.URL) {
	k := listKey{iface, category}
	fp := fingerprint(urls)
	s.mu.Lock()
	if last, ok := s.last[k]; ok && last == fp {
		s.mu.Unlock()
		return
	}
	s.last[k] = fp
	replaced := false
	for i := range s.pending {
		if s.pending[i].key == k {
			s.pending[i].urls = urls
			replaced = true
			break
		}
	}
	if !replaced {
		s.pending = append(s.pending, pendingList{key: k, urls: urls})
	}
	s.mu.Unlock()
	select {
	case s.signal <- struct{}{}:
	default:
	}
}

func fingerprint(urls []*common.URL) string {
	var b strings.Builder
	for _, u := range urls {
		b.WriteString(u.FullString())
		b.WriteByte('\n')
	}
	return b.String()
}

// flush delivers what is pending, in order.
func (s *subscription) flush() {
	s.deliver.Lock()
	defer s.deliver.Unlock()
	for {
		s.mu.Lock()
		if len(s.pending) == 0 {
			s.mu.Unlock()
			return
		}
		next := s.pending[0]
		s.pending = s.pending[1:]
		s.mu.Unlock()
		if s.stopped.Load() {
			return
		}
		s.listener.Notify(next.urls)
	}
}

// run delivers notifications until stop.
func (s *subscription) run(wg *sync.WaitGroup) {
	defer wg.Done()
	for {
		select {
		case <-s.signal:
			s.flush()
		case <-s.done:
			return
		}
	}
}

func (s *subscription) stop() {
	if !s.stopped.Swap(true) {
		close(s.done)
	}
}
