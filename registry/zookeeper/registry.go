package zookeeper

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/registry"
)

// Scheme is the URL scheme of this registry: zookeeper://host:port.
const Scheme = "zookeeper"

func init() { registry.Register(Scheme, Open) }

// Open is the factory of the "zookeeper" scheme: New wrapped in
// registry.NewFailback, so failed operations are retried every
// retry.period and the last notified lists are kept on disk.
func Open(url *common.URL) (registry.Registry, error) { return registry.Failback(New(url)) }

// Registry is a session with a ZooKeeper ensemble. It implements
// registry.Registry. Its methods are safe for concurrent use.
//
// Operations wait for a session up to their context's deadline, narrowed
// by the registry URL's timeout; without a session they fail with
// ErrNotConnected and leave the retrying to a wrapper
// (registry.NewFailback). Session recovery is the Registry's own: after an
// expiry it re-creates what it registered and re-subscribes; a client whose
// session the ensemble will not give back is replaced (replaceClient).
type Registry struct {
	url  *common.URL            // immutable
	cfg  config                 // immutable
	log  *slog.Logger           // immutable
	dial zk.Dialer              // immutable: the option's dialer, noting the local IP
	cur  atomic.Pointer[client] // the current client; replaced by run (replaceClient)
	ip   atomic.Value           // string: local IP of the last connection, the node data
	evq  eventQueue             // events from the clients' goroutines to run
	quit chan struct{}          // closed by Close: run returns
	done chan struct{}          // closed when run has returned

	// dials counts the connections the clients' dialer opened: a client
	// is replaced only when the ensemble takes connections but does not give
	// its session back (replaceClient).
	dials atomic.Uint64

	// libWG counts the goroutines of every client started (the drain of
	// its events, the close of a replaced one); Close waits for them.
	libWG sync.WaitGroup

	// regMu serialises node creation and deletion for registered URLs
	// (Register, Unregister, recovery), so a recovery never re-creates a
	// node unregistered meanwhile. Taken before mu.
	regMu sync.Mutex

	mu         sync.Mutex // guards registered, subs, closed
	registered map[string]*common.URL
	subs       []*subscription
	closed     bool

	sessMu sync.Mutex    // guards sessUp
	sessUp chan struct{} // closed while a session is up

	connected atomic.Bool   // a session is up (Stats); written by run
	expiries  atomic.Uint64 // sessions replaced after an expiry (Stats); written by run

	// The watch session (watch.go): persistent is on while category paths
	// are watched with persistent watches on it (from the URL; off for good
	// when the server refuses addWatch); watchLoop, started by the first
	// read that needs it (startWatch), keeps it up until watchCtx is
	// cancelled (Close, or the fall back), then closes watchDone.
	persistent  atomic.Bool
	watchOnce   sync.Once
	watchDial   Dialer // immutable
	watchCtx    context.Context
	watchCancel context.CancelFunc
	watchDone   chan struct{}
	wsMu        sync.Mutex    // guards ws and wsReady
	ws          *watchSession // the watch session up; nil when none
	wsReady     chan struct{} // closed while ws is not nil
	deltas      []delta       // lists changed by events, not delivered yet; run only

	closeOnce sync.Once
}

// New returns a Registry for url (zookeeper://[user:password@]host:port
// [?backup=h2:p2,…&group=…&timeout=…&session=…]). It starts connecting in
// the background and does not wait for the ensemble.
func New(url *common.URL, opts ...Option) (*Registry, error) {
	cfg, err := parseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("zookeeper: %s: %w", url, err)
	}
	o := options{dialer: net.DialTimeout}
	for _, opt := range opts {
		opt(&o)
	}
	if o.logger == nil {
		o.logger = slog.Default()
	}
	if o.dialer == nil {
		o.dialer = net.DialTimeout
	}
	r := &Registry{
		url:        url,
		cfg:        cfg,
		log:        o.logger.With("component", "registry/zookeeper", "registry", url.Address()),
		quit:       make(chan struct{}),
		done:       make(chan struct{}),
		registered: map[string]*common.URL{},
		sessUp:     make(chan struct{}),
		watchDial:  o.watchDialer,
		watchDone:  make(chan struct{}),
		wsReady:    make(chan struct{}),
	}
	if r.watchDial == nil {
		r.watchDial = net.DialTimeout
	}
	r.watchCtx, r.watchCancel = context.WithCancel(context.Background())
	r.persistent.Store(cfg.persistent)
	r.evq.wake = make(chan struct{}, 1)
	r.dial = func(network, address string, timeout time.Duration) (net.Conn, error) {
		c, err := o.dialer(network, address, timeout)
		if err == nil {
			r.dials.Add(1)
			if a, ok := c.LocalAddr().(*net.TCPAddr); ok {
				r.ip.Store(a.IP.String())
			}
		}
		return c, err
	}
	if _, err := r.connect(1); err != nil {
		r.watchCancel()
		return nil, fmt.Errorf("zookeeper: connect %s: %w", url.Address(), err)
	}
	go r.run()
	return r, nil
}

// URL implements registry.Registry.
func (r *Registry) URL() *common.URL { return r.url }

// nodeData is what every node created carries: the client's IP address as
// text, as Curator writes it for Java Dubbo.
func (r *Registry) nodeData() []byte {
	if ip, ok := r.ip.Load().(string); ok && ip != "" {
		return []byte(ip)
	}
	return []byte("127.0.0.1")
}

// begin narrows ctx by the registry timeout and waits for a session.
func (r *Registry) begin(ctx context.Context) (context.Context, context.CancelFunc, error) {
	ctx, cancel := context.WithTimeout(ctx, r.cfg.timeout)
	r.mu.Lock()
	closed := r.closed
	r.mu.Unlock()
	if closed {
		cancel()
		return nil, nil, ErrClosed
	}
	if err := r.waitSession(ctx); err != nil {
		cancel()
		return nil, nil, err
	}
	return ctx, cancel, nil
}

// Register implements registry.Registry: it creates url's node,
// ephemeral unless url has dynamic=false. A URL without an interface is
// refused.
func (r *Registry) Register(ctx context.Context, url *common.URL) error {
	if url.ServiceInterface() == "" {
		return fmt.Errorf("zookeeper: register %s: no interface", url)
	}
	_, cancel, err := r.begin(ctx)
	if err != nil {
		return fmt.Errorf("zookeeper: register %s: %w", url, err)
	}
	defer cancel()
	r.regMu.Lock()
	defer r.regMu.Unlock()
	if err := r.createNode(url); err != nil {
		return fmt.Errorf("zookeeper: register %s: %w", url, err)
	}
	r.mu.Lock()
	r.registered[url.FullString()] = url
	r.mu.Unlock()
	return nil
}

// Unregister implements registry.Registry: it deletes url's node.
func (r *Registry) Unregister(ctx context.Context, url *common.URL) error {
	r.regMu.Lock()
	defer r.regMu.Unlock()
	r.mu.Lock()
	delete(r.registered, url.FullString())
	r.mu.Unlock()
	if url.ServiceInterface() == "" {
		return nil
	}
	_, cancel, err := r.begin(ctx)
	if err != nil {
		return fmt.Errorf("zookeeper: unregister %s: %w", url, err)
	}
	defer cancel()
	if err := r.deleteNode(r.cfg.layout.nodePath(url)); err != nil {
		return fmt.Errorf("zookeeper: unregister %s: %w", url, err)
	}
	return nil
}

// createNode creates url's node and its missing parents. An ephemeral
// node left by another session (a previous run not yet expired) is
// replaced; one of this session, or an existing persistent node, is kept.
func (r *Registry) createNode(url *common.URL) error {
	p := r.cfg.layout.nodePath(url)
	conn := r.client().conn
	if err := ensurePath(conn, r.cfg.layout.categoryPath(url.ServiceInterface(), url.Category()), r.nodeData(), r.cfg.acl); err != nil {
		return err
	}
	var flags int32
	ephemeral := url.ParamBool(common.DynamicKey, true)
	if ephemeral {
		flags = zk.FlagEphemeral
	}
	for attempt := 0; ; attempt++ {
		_, err := conn.Create(p, r.nodeData(), flags, r.cfg.acl)
		if err == nil {
			return nil
		}
		if !errors.Is(err, zk.ErrNodeExists) {
			return translate("create", p, err)
		}
		if !ephemeral {
			return nil
		}
		ok, st, err := conn.Exists(p)
		if err != nil {
			return translate("exists", p, err)
		}
		if ok && st.EphemeralOwner == conn.SessionID() {
			return nil
		}
		if attempt > 0 {
			return translate("create", p, zk.ErrNodeExists)
		}
		if err := conn.Delete(p, -1); err != nil && !errors.Is(err, zk.ErrNoNode) {
			return translate("delete", p, err)
		}
	}
}

// ensurePath creates p and its ancestors, persistent with data and acl,
// where missing.
func ensurePath(conn *zk.Conn, p string, data []byte, acl []zk.ACL) error {
	ok, _, err := conn.Exists(p)
	if err != nil {
		return translate("exists", p, err)
	}
	if ok {
		return nil
	}
	for _, q := range append(parents(p), p) {
		if _, err := conn.Create(q, data, 0, acl); err != nil && !errors.Is(err, zk.ErrNodeExists) {
			return translate("create", q, err)
		}
	}
	return nil
}

func (r *Registry) deleteNode(p string) error {
	if err := r.client().conn.Delete(p, -1); err != nil && !errors.Is(err, zk.ErrNoNode) {
		return translate("delete", p, err)
	}
	return nil
}

// Lookup implements registry.Registry: the matching URLs of url's
// categories, without empty:// placeholders.
func (r *Registry) Lookup(ctx context.Context, url *common.URL) ([]*common.URL, error) {
	_, cancel, err := r.begin(ctx)
	if err != nil {
		return nil, fmt.Errorf("zookeeper: lookup %s: %w", url, err)
	}
	defer cancel()
	conn := r.client().conn
	services := []string{url.ServiceInterface()}
	if url.ServiceInterface() == common.AnyValue {
		children, _, err := conn.Children(r.cfg.layout.root)
		if err != nil && !errors.Is(err, zk.ErrNoNode) {
			return nil, fmt.Errorf("zookeeper: lookup %s: %w", url, translate("children", r.cfg.layout.root, err))
		}
		services = services[:0]
		for _, c := range children {
			if s, err := common.Decode(c); err == nil {
				services = append(services, s)
			}
		}
	}
	var out []*common.URL
	for _, s := range services {
		sub := serviceURL(url, s)
		for _, c := range subscribedCategories(url) {
			p := r.cfg.layout.categoryPath(s, c)
			children, _, err := conn.Children(p)
			if errors.Is(err, zk.ErrNoNode) {
				continue
			}
			if err != nil {
				return nil, fmt.Errorf("zookeeper: lookup %s: %w", url, translate("children", p, err))
			}
			out = append(out, toURLs(sub, children, r.log)...)
		}
	}
	return out, nil
}

// Close implements registry.Registry: it deletes the dynamic nodes this
// registry registered (dynamic=false nodes stay, as in Java Dubbo), ends
// every subscription, closes the session and waits for every goroutine.
// It is idempotent and bounded by the registry URL's timeout plus the
// client's close; it must not be called from a listener's Notify.
func (r *Registry) Close() error {
	r.closeOnce.Do(func() {
		r.mu.Lock()
		r.closed = true
		regs := r.registered
		r.registered = map[string]*common.URL{}
		subs := r.subs
		r.subs = nil
		r.mu.Unlock()

		for _, s := range subs {
			s.stop()
		}
		close(r.quit)
		<-r.done
		r.watchCancel()
		r.watchOnce.Do(func() { close(r.watchDone) }) // never started
		<-r.watchDone                                 // bounded: a dial by the timeout, a close by a second

		c := r.client()
		if c.conn.State() == zk.StateHasSession {
			deadline := time.Now().Add(r.cfg.timeout)
			for _, u := range regs {
				if !u.ParamBool(common.DynamicKey, true) || time.Now().After(deadline) {
					continue
				}
				if err := r.deleteNode(r.cfg.layout.nodePath(u)); err != nil {
					r.log.Warn("unregister on close failed", "url", u.String(), "err", err)
				}
			}
		}
		c.conn.Close()
		lib := make(chan struct{})
		go func() {
			r.libWG.Wait()
			close(lib)
		}()
		select {
		case <-lib:
		case <-time.After(r.cfg.timeout + 2*time.Second):
			r.log.Error("zookeeper client did not stop in time")
		}
	})
	return nil
}

// zkLogger sends the client's messages to slog at debug level.
type zkLogger struct{ l *slog.Logger }

func (z zkLogger) Printf(format string, args ...any) {
	if z.l.Enabled(context.Background(), slog.LevelDebug) {
		z.l.Debug(fmt.Sprintf(format, args...))
	}
}
