package memory

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/registry"
)

// Scheme is the URL scheme of the embedded registry: memory://name.
const Scheme = "memory"

func init() {
	registry.Register(Scheme, func(u *common.URL) (registry.Registry, error) { return Open(u), nil })
}

var (
	storesMu sync.Mutex
	stores   = map[string]*Store{}
)

// Open returns a new session on the process-wide store named by url's
// address (memory://name: every session opened with the same name shares
// one store), creating the store on first use.
func Open(url *common.URL) *Registry {
	storesMu.Lock()
	s, ok := stores[url.Address()]
	if !ok {
		s = NewStore()
		stores[url.Address()] = s
	}
	storesMu.Unlock()
	return s.Registry(url)
}

// ErrClosed is returned by the methods of a closed Registry.
var ErrClosed = errors.New("memory: registry closed")

// Registry is one session on a Store. It implements registry.Registry.
type Registry struct {
	store *Store      // immutable
	url   *common.URL // immutable

	mu         sync.Mutex // guards registered, subs, closed
	registered map[string]*common.URL
	subs       []*subscription
	closed     bool

	wg sync.WaitGroup // the subscriptions' goroutines
}

// Registry opens a session on s; url is the session's registry URL (it
// only answers URL()).
func (s *Store) Registry(url *common.URL) *Registry {
	return &Registry{store: s, url: url, registered: map[string]*common.URL{}}
}

// URL implements registry.Registry.
func (r *Registry) URL() *common.URL { return r.url }

// Register implements registry.Registry. A URL without an interface (no
// interface param and no path) is refused.
func (r *Registry) Register(_ context.Context, u *common.URL) error {
	if u.ServiceInterface() == "" {
		return fmt.Errorf("memory: register %s: no interface", u)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return fmt.Errorf("register %s: %w", u, ErrClosed)
	}
	r.registered[u.FullString()] = u
	r.store.add(u, r)
	return nil
}

// Unregister implements registry.Registry.
func (r *Registry) Unregister(_ context.Context, u *common.URL) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return fmt.Errorf("unregister %s: %w", u, ErrClosed)
	}
	delete(r.registered, u.FullString())
	r.store.remove(u, r)
	return nil
}

// Subscribe implements registry.Registry: the listener has been notified of
// every subscribed category before it returns.
func (r *Registry) Subscribe(_ context.Context, u *common.URL, listener registry.NotifyListener) error {
	if listener == nil {
		return fmt.Errorf("memory: subscribe %s: nil listener", u)
	}
	if u.ServiceInterface() == "" {
		return fmt.Errorf("memory: subscribe %s: no interface", u)
	}
	sub := newSubscription(u, listener)
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return fmt.Errorf("subscribe %s: %w", u, ErrClosed)
	}
	r.subs = append(r.subs, sub)
	r.wg.Add(1)
	r.mu.Unlock()

	r.store.subscribe(sub)
	sub.flush()
	go sub.run(&r.wg)
	return nil
}

// Unsubscribe implements registry.Registry. It stops every subscription of
// listener to a URL equal to u.
func (r *Registry) Unsubscribe(_ context.Context, u *common.URL, listener registry.NotifyListener) error {
	r.mu.Lock()
	var stopped []*subscription
	kept := r.subs[:0]
	for _, s := range r.subs {
		if s.url.Equal(u) && registry.SameListener(s.listener, listener) {
			stopped = append(stopped, s)
		} else {
			kept = append(kept, s)
		}
	}
	r.subs = kept
	r.mu.Unlock()
	for _, s := range stopped {
		r.store.unsubscribe(s)
		s.stop()
	}
	return nil
}

// Lookup implements registry.Registry.
func (r *Registry) Lookup(_ context.Context, u *common.URL) ([]*common.URL, error) {
	r.mu.Lock()
	closed := r.closed
	r.mu.Unlock()
	if closed {
		return nil, fmt.Errorf("lookup %s: %w", u, ErrClosed)
	}
	return r.store.lookup(u), nil
}

// Close implements registry.Registry: it withdraws what the session
// registered, ends its subscriptions and waits for their goroutines. It
// must not be called from a listener's Notify.
func (r *Registry) Close() error {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return nil
	}
	r.closed = true
	subs := r.subs
	r.subs = nil
	registered := r.registered
	r.registered = nil
	r.mu.Unlock()

	for _, s := range subs {
		r.store.unsubscribe(s)
		s.stop()
	}
	for _, u := range registered {
		r.store.remove(u, r)
	}
	r.wg.Wait()
	return nil
}
