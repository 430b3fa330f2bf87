package nacos

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fleetrpc/fleet/common"
	inacos "github.com/fleetrpc/fleet/internal/nacos"
	"github.com/fleetrpc/fleet/registry"
)

// Scheme is the URL scheme of this registry: nacos://host:port.
const Scheme = "nacos"

// Registry URL parameters read besides internal/nacos.ParseURL's
// (namespace, group, nacos.group, username, password, timeout, nacos.poll).
const (
	// EmptyGraceKey is how long after a reconnection a list that turns
	// empty is held back (milliseconds or a Go duration; 0 turns it off).
	EmptyGraceKey = "nacos.empty-grace"
	// LookupIntervalKey is the period of the rescan of service names for
	// subscriptions of interface *, group or version * or lists.
	LookupIntervalKey = "nacos.lookup.interval"
	// LegacyNameKey: true subscribes the Dubbo <= 2.7.3 provider name
	// (providers:iface[:version][:group]) too, as Java 2.7.6-3.2 do.
	LegacyNameKey = "nacos.subscribe.legacy-name"
)

// Defaults.
const (
	DefaultEmptyGrace     = 15 * time.Second
	DefaultLookupInterval = 30 * time.Second
)

// ErrClosed is returned by the methods of a closed Registry.
var ErrClosed = errors.New("nacos: registry closed")

func init() { registry.Register(Scheme, Open) }

// Open is the factory of the "nacos" scheme: New wrapped in
// registry.NewFailback, so failed operations are retried every
// retry.period and the last notified lists are kept on disk.
func Open(url *common.URL) (registry.Registry, error) { return registry.Failback(New(url)) }

// Registry is a client of a Nacos server. It implements registry.Registry;
// its methods are safe for concurrent use.
//
// Operations fail when the server cannot be reached and leave the retrying
// to a wrapper (registry.NewFailback). Reconnection is the client's own:
// it registers and subscribes again, and listeners get the current lists.
type Registry struct {
	url    *common.URL          // immutable
	cfg    inacos.Config        // immutable
	log    *slog.Logger         // immutable
	dirs   *inacos.Dirs         // immutable
	client *inacos.NamingClient // immutable after New
	grace  time.Duration        // immutable
	lookup time.Duration        // immutable
	legacy bool                 // immutable
	upAt   atomic.Int64         // unix nanoseconds of the last reconnection
	lost   atomic.Bool          // a connection was lost
	quit   chan struct{}        // closed by Close
	done   chan struct{}        // closed when the rescan goroutine returned

	mu         sync.Mutex // guards the fields below
	registered map[string]*common.URL
	subs       []*subscription
	closed     bool

	closeOnce sync.Once
}

// New returns a Registry for url (nacos://host:port[,host2:port2]
// [?namespace=…&group=…&username=…&password=…&timeout=…]). It connects in
// the background and does not wait for the server.
func New(url *common.URL, opts ...Option) (*Registry, error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	if o.logger == nil {
		o.logger = slog.Default()
	}
	cfg, err := inacos.ParseURL(url)
	if err != nil {
		return nil, err
	}
	grace, err := url.ParamDuration(EmptyGraceKey, DefaultEmptyGrace)
	if err != nil || grace < 0 {
		return nil, fmt.Errorf("nacos: %s: bad %s %q", url, EmptyGraceKey, url.ParamOr(EmptyGraceKey, ""))
	}
	lookup, err := url.ParamDuration(LookupIntervalKey, DefaultLookupInterval)
	if err != nil || lookup <= 0 {
		return nil, fmt.Errorf("nacos: %s: bad %s %q", url, LookupIntervalKey, url.ParamOr(LookupIntervalKey, ""))
	}
	dirs, err := inacos.OpenDirs()
	if err != nil {
		return nil, err
	}
	dirs.Apply(&cfg.Client)
	r := &Registry{
		url:        url,
		cfg:        cfg,
		log:        o.logger.With("component", "registry/nacos", "registry", url.Address()),
		dirs:       dirs,
		grace:      grace,
		lookup:     lookup,
		legacy:     url.ParamBool(LegacyNameKey, false),
		quit:       make(chan struct{}),
		done:       make(chan struct{}),
		registered: map[string]*common.URL{},
	}
	r.client, err = inacos.NewNamingClient(cfg, inacos.WithLogger(o.logger),
		inacos.WithConnectionListener(func(up bool) {
			switch {
			case !up:
				r.lost.Store(true)
			case r.lost.Load(): // a reconnection, not the first connection
				r.upAt.Store(time.Now().UnixNano())
			}
		}))
	if err != nil {
		dirs.Close()
		return nil, fmt.Errorf("nacos: %s: %w", url.Address(), err)
	}
	go r.rescan()
	return r, nil
}

// URL implements registry.Registry.
func (r *Registry) URL() *common.URL { return r.url }

// Group is the Nacos group the registry registers and subscribes in.
func (r *Registry) Group() string { return r.cfg.Group }

// Namespace is the Nacos namespace id ("" is public).
func (r *Registry) Namespace() string { return r.cfg.Namespace }

// inGrace reports whether a list turning empty is held back now, and for
// how much longer.
func (r *Registry) inGrace() (time.Duration, bool) {
	up := r.upAt.Load()
	if r.grace <= 0 || up == 0 {
		return 0, false
	}
	left := r.grace - time.Since(time.Unix(0, up))
	return left, left > 0
}

func (r *Registry) isClosed() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.closed
}

// Register implements registry.Registry: url becomes an ephemeral instance
// of the service <category>:<interface>:<version>:<group>.
func (r *Registry) Register(ctx context.Context, url *common.URL) error {
	if url.ServiceInterface() == "" || url.Host() == "" {
		return fmt.Errorf("nacos: register %s: no interface or host", url)
	}
	if r.isClosed() {
		return fmt.Errorf("nacos: register %s: %w", url, ErrClosed)
	}
	name := serviceName(url.Category(), url)
	if err := r.client.Register(ctx, name, r.cfg.Group, toInstance(url)); err != nil {
		return fmt.Errorf("nacos: register %s as %s: %w", url, name, err)
	}
	r.mu.Lock()
	r.registered[url.FullString()] = url
	r.mu.Unlock()
	return nil
}

// Unregister implements registry.Registry: it removes url's instance.
func (r *Registry) Unregister(ctx context.Context, url *common.URL) error {
	r.mu.Lock()
	delete(r.registered, url.FullString())
	r.mu.Unlock()
	if url.ServiceInterface() == "" {
		return nil
	}
	name := serviceName(url.Category(), url)
	if err := r.client.Deregister(ctx, name, r.cfg.Group, url.Host(), uint64(max(url.Port(), 0))); err != nil {
		return fmt.Errorf("nacos: unregister %s from %s: %w", url, name, err)
	}
	return nil
}

// namesFor lists the service names url subscribes to: for a concrete
// service its names (and the legacy one when asked), else the group's
// services that are compatible.
func (r *Registry) namesFor(ctx context.Context, url *common.URL) ([]string, error) {
	cats := watchedCategories(url)
	if isConcrete(url) {
		var names []string
		for _, c := range cats {
			names = append(names, serviceName(c, url))
			if r.legacy && c == common.ProvidersCategory {
				if l := legacyName(url); l != names[len(names)-1] {
					names = append(names, l)
				}
			}
		}
		return names, nil
	}
	all, err := r.client.ListServices(ctx, r.cfg.Group)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, s := range all {
		if n, ok := parseName(s); ok && compatible(url, cats, n) {
			names = append(names, s)
		}
	}
	return names, nil
}

// Lookup implements registry.Registry: the matching URLs of url's
// services as the server has them now, without empty:// placeholders.
func (r *Registry) Lookup(ctx context.Context, url *common.URL) ([]*common.URL, error) {
	if r.isClosed() {
		return nil, fmt.Errorf("nacos: lookup %s: %w", url, ErrClosed)
	}
	names, err := r.namesFor(ctx, url)
	if err != nil {
		return nil, fmt.Errorf("nacos: lookup %s: %w", url, err)
	}
	var out []keyedURL
	for _, s := range names {
		svc, err := r.client.Query(ctx, s, r.cfg.Group)
		if err != nil {
			return nil, fmt.Errorf("nacos: lookup %s: %w", url, err)
		}
		category, sub := categoryOf(s), url
		if n, ok := parseName(s); ok && url.ServiceInterface() == common.AnyValue {
			sub = serviceURL(url, n.iface)
		}
		var c instanceCache
		out = append(out, c.urls(svc.Hosts, category, sub)...)
	}
	return sortedURLs(out), nil
}

// Close implements registry.Registry: it removes the instances this
// registry registered, ends every subscription, closes the connection and
// waits for every goroutine; the SDK's directory is removed. Idempotent;
// it must not be called from a listener's Notify.
func (r *Registry) Close() error {
	r.closeOnce.Do(func() {
		r.mu.Lock()
		r.closed = true
		regs := r.registered
		r.registered = map[string]*common.URL{}
		subs := r.subs
		r.subs = nil
		r.mu.Unlock()
		close(r.quit)
		<-r.done
		var cancels []func()
		for _, s := range subs {
			cancels = append(cancels, s.stop()...)
		}
		if r.client.Connected() {
			ctx, cancel := context.WithTimeout(context.Background(), r.cfg.Timeout)
			for _, u := range regs {
				name := serviceName(u.Category(), u)
				if err := r.client.Deregister(ctx, name, r.cfg.Group, u.Host(), uint64(max(u.Port(), 0))); err != nil {
					r.log.Warn("unregister on close failed", "url", u.String(), "err", err)
				}
			}
			cancel()
		}
		r.client.Close()
		for _, c := range cancels { // closed: no request is sent
			c()
		}
		if err := r.dirs.Close(); err != nil {
			r.log.Warn("sdk directory not removed", "err", err)
		}
	})
	return nil
}

// rescan subscribes the names that appeared, for the subscriptions that
// list names, every lookup interval until Close.
func (r *Registry) rescan() {
	defer close(r.done)
	t := time.NewTicker(r.lookup)
	defer t.Stop()
	for {
		select {
		case <-r.quit:
			return
		case <-t.C:
		}
		if !r.client.Connected() {
			continue
		}
		for _, s := range r.subscriptions() {
			if s.concrete {
				continue
			}
			ctx, cancel := context.WithTimeout(context.Background(), r.cfg.Timeout)
			err := r.scan(ctx, s)
			cancel()
			if err != nil {
				r.log.Warn("rescanning services failed", "url", s.url.String(), "err", err)
			}
		}
	}
}

func (r *Registry) subscriptions() []*subscription {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]*subscription(nil), r.subs...)
}

var _ registry.Registry = (*Registry)(nil)
