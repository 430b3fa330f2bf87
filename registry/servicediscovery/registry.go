package servicediscovery

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/protocol/dubbo"
	"github.com/fleetrpc/fleet/registry"
)

// Scheme is Java's scheme of a service-discovery registry URL; its registry
// param names the registry underneath (zookeeper or nacos).
const Scheme = "service-discovery-registry"

// Registry URL parameters read by this package, beyond timeout.
const (
	SessionKey         = "session"          // session timeout (default 60 s)
	RootPathKey        = "rootPath"         // instances' root (default /services)
	RetryPeriodKey     = "retry.period"     // retry of failed reads and fetches (default 5 s)
	MetadataTimeoutKey = "metadata.timeout" // one getMetadataInfo call (default 3 s)
	ProvidedByKey      = "provided-by"      // on a consumer URL: its applications
)

// sessionSettle is how long a new connection must be up before requests
// are issued on it (see waitSession).
const sessionSettle = 50 * time.Millisecond

// Errors.
var (
	ErrClosed      = errors.New("servicediscovery: registry closed")
	ErrUnsupported = errors.New("servicediscovery: not supported")
)

func init() { registry.Register(Scheme, Open) }

// Open is the factory of the service-discovery-registry scheme. The URL's
// registry param names the registry underneath: zookeeper (the default,
// New) or nacos (NewNacos).
func Open(url *common.URL) (registry.Registry, error) {
	switch r := url.ParamOr("registry", "zookeeper"); r {
	case "zookeeper":
		return New(url)
	case "nacos":
		return NewNacos(url)
	default:
		return nil, fmt.Errorf("servicediscovery: %s: registry %q: %w", url, r, ErrUnsupported)
	}
}

// Registry is application-level discovery on one ZooKeeper session (New)
// or one Nacos client (NewNacos). It implements registry.Registry:
// Subscribe notifies interface-level provider URLs built from application
// instances and their metadata; Register publishes a provider's
// application instance (register.go; ZooKeeper only). Its methods are safe
// for concurrent use.
type Registry struct {
	url          *common.URL  // immutable
	log          *slog.Logger // immutable
	src          source       // immutable after New: ZooKeeper or Nacos
	conn         *zk.Conn     // immutable after New; nil on Nacos
	mappingRoot  string       // /<group>/mapping
	metadataRoot string       // /<group>/metadata
	servicesRoot string       // /services
	timeout      time.Duration
	retry        time.Duration
	fetcher      Fetcher
	proto        *dubbo.Protocol // the default fetcher's; nil with another
	cache        *revisionCache
	lib          chan struct{} // closed when the client's goroutines are done

	subscribeWait time.Duration      // how long Subscribe and Lookup wait for metadata
	fetchCtx      context.Context    // cancelled by Close: fetches in flight end
	fetchStop     context.CancelFunc // cancels fetchCtx
	fetchSem      chan struct{}      // bounds the fetches in flight
	fetches       sync.WaitGroup     // the fetches in flight

	sessionAt atomic.Int64 // when the last session event said connected, unix ns

	pub publisher // the provider side (register.go)

	mu     sync.Mutex // guards subs, closed
	subs   []*subscription
	closed bool

	closeOnce sync.Once
}

// New returns a Registry on the ZooKeeper url names
// (zookeeper://host:port or service-discovery-registry://host:port, with
// backup, group (default dubbo), rootPath (default /services), timeout,
// session, retry.period and metadata.timeout params). It connects in the
// background.
func New(url *common.URL, opts ...Option) (*Registry, error) {
	r, o, err := newRegistry(url, opts)
	if err != nil {
		return nil, err
	}
	if r.timeout, err = url.ParamDuration(common.TimeoutKey, 5*time.Second); err != nil {
		r.abort()
		return nil, fmt.Errorf("servicediscovery: %s: %w", url, err)
	}
	session, err := url.ParamDuration(SessionKey, 60*time.Second)
	if err != nil {
		r.abort()
		return nil, fmt.Errorf("servicediscovery: %s: %w", url, err)
	}
	group := strings.Trim(url.ParamOr(common.GroupKey, "dubbo"), "/")
	root := "/" + group
	if group == "" {
		root = ""
	}
	r.mappingRoot = root + "/mapping"
	r.metadataRoot = root + "/metadata"
	r.servicesRoot = "/" + strings.Trim(url.ParamOr(RootPathKey, "/services"), "/")
	r.lib = make(chan struct{})
	var servers []string
	for _, s := range strings.Split(url.BackupAddress(2181), ",") {
		if s = strings.TrimSpace(s); s != "" {
			servers = append(servers, s)
		}
	}
	if o.dialer == nil {
		o.dialer = net.DialTimeout
	}
	conn, events, err := zk.Connect(servers, session,
		zk.WithDialer(zk.Dialer(o.dialer)),
		zk.WithLogger(zkLogger{r.log}),
		zk.WithLogInfo(false),
		zk.WithEventCallback(r.onEvent),
	)
	if err != nil {
		r.abort()
		return nil, fmt.Errorf("servicediscovery: connect %s: %w", url.Address(), err)
	}
	r.conn = conn
	r.src = zkSource{r}
	go func() { // the client closes events when its goroutines are done
		for range events {
		}
		close(r.lib)
	}()
	return r, nil
}

// newRegistry is the part of a Registry every source shares: options,
// retry period, metadata timeout, revision cache and fetcher. The caller
// sets the source, or calls abort.
func newRegistry(url *common.URL, opts []Option) (*Registry, options, error) {
	o := options{}
	if url.Host() == "" || url.IsAnyHost() {
		return nil, o, fmt.Errorf("servicediscovery: %s: registry address is empty or any-host", url)
	}
	for _, opt := range opts {
		opt(&o)
	}
	if o.logger == nil {
		o.logger = slog.Default()
	}
	var err error
	if o.retry <= 0 {
		if o.retry, err = url.ParamDuration(RetryPeriodKey, 5*time.Second); err != nil {
			return nil, o, fmt.Errorf("servicediscovery: %s: %w", url, err)
		}
	}
	if o.timeout <= 0 {
		if o.timeout, err = url.ParamDuration(MetadataTimeoutKey, 3*time.Second); err != nil {
			return nil, o, fmt.Errorf("servicediscovery: %s: %w", url, err)
		}
	}
	r := &Registry{
		url:      url,
		log:      o.logger.With("component", "registry/servicediscovery", "registry", url.Address()),
		retry:    o.retry,
		fetcher:  o.fetcher,
		cache:    newRevisionCache(o.retry),
		fetchSem: make(chan struct{}, maxParallelFetches),
	}
	r.subscribeWait = o.subscribeWait
	if r.subscribeWait <= 0 {
		r.subscribeWait = o.timeout
	}
	r.fetchCtx, r.fetchStop = context.WithCancel(context.Background())
	r.pub.init(o.metadataProto)
	if r.fetcher == nil {
		r.proto = dubbo.New(dubbo.WithLogger(o.logger))
		r.fetcher = &dubboFetcher{proto: r.proto, timeout: o.timeout}
	}
	return r, o, nil
}

// abort releases what newRegistry made, for a registry New gives up on.
func (r *Registry) abort() {
	r.fetchStop()
	if r.proto != nil {
		r.proto.Destroy()
	}
}

// URL implements registry.Registry.
func (r *Registry) URL() *common.URL { return r.url }

// isConsumer reports whether u is a consumer's URL.
func isConsumer(u *common.URL) bool {
	return u.Protocol() == common.ConsumerSide || u.ParamOr(common.SideKey, "") == common.ConsumerSide ||
		u.Category() == common.ConsumersCategory
}

// Register implements registry.Registry. A consumer URL is accepted and
// not written (Dubbo 3 does not register consumers per interface in
// application-level mode). A provider URL (it must name its application)
// joins its application's instance: see register.go and the package
// documentation.
func (r *Registry) Register(ctx context.Context, url *common.URL) error {
	if isConsumer(url) {
		return nil
	}
	if err := r.register(ctx, url); err != nil {
		return fmt.Errorf("servicediscovery: register %s: %w", url, err)
	}
	return nil
}

// Unregister implements registry.Registry; see Register. A provider URL
// that is not registered is no error.
func (r *Registry) Unregister(ctx context.Context, url *common.URL) error {
	if isConsumer(url) {
		return nil
	}
	if err := r.unregister(ctx, url); err != nil {
		return fmt.Errorf("servicediscovery: unregister %s: %w", url, err)
	}
	return nil
}

// Subscribe implements registry.Registry: listener is notified of the
// providers of url's service (the providers category only) before
// Subscribe returns, then on every change. url's interface must be named
// (not *).
func (r *Registry) Subscribe(ctx context.Context, url *common.URL, listener registry.NotifyListener) error {
	if listener == nil {
		return fmt.Errorf("servicediscovery: subscribe %s: nil listener", url)
	}
	iface := url.ServiceInterface()
	if iface == "" || iface == common.AnyValue {
		return fmt.Errorf("servicediscovery: subscribe %s: interface %q: %w", url, iface, ErrUnsupported)
	}
	s := r.newSubscription(url, listener, true)
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return fmt.Errorf("servicediscovery: subscribe %s: %w", url, ErrClosed)
	}
	r.subs = append(r.subs, s)
	r.mu.Unlock()
	go s.loop()

	s.runMu.Lock()
	again, err := s.refresh(ctx, r.subscribeWait)
	s.runMu.Unlock()
	if err != nil {
		r.remove(s)
		s.stop()
		return fmt.Errorf("servicediscovery: subscribe %s: %w", url, err)
	}
	if again {
		s.retryLater()
	}
	return nil
}

// Unsubscribe implements registry.Registry.
func (r *Registry) Unsubscribe(_ context.Context, url *common.URL, listener registry.NotifyListener) error {
	r.mu.Lock()
	var gone []*subscription
	kept := r.subs[:0:0]
	for _, s := range r.subs {
		if s.url.Equal(url) && registry.SameListener(s.listener, listener) {
			gone = append(gone, s)
		} else {
			kept = append(kept, s)
		}
	}
	r.subs = kept
	r.mu.Unlock()
	for _, s := range gone {
		s.stop()
	}
	if len(gone) > 0 {
		r.retainUsed(nil)
	}
	return nil
}

// retainUsed drops the cached revisions no subscription uses any more.
// s, when not nil, is one that just built (it is subscribed, or a lookup
// whose revisions are kept until the next drop).
func (r *Registry) retainUsed(s *subscription) {
	r.mu.Lock()
	keep := map[revKey]bool{}
	for _, x := range r.subs {
		for k := range x.used {
			keep[k] = true
		}
	}
	if s != nil {
		for k := range s.used {
			keep[k] = true
		}
	}
	r.mu.Unlock()
	r.cache.retain(keep)
}

// Lookup implements registry.Registry: the provider URLs of url's service
// now, without watches and without empty://.
func (r *Registry) Lookup(ctx context.Context, url *common.URL) ([]*common.URL, error) {
	iface := url.ServiceInterface()
	if iface == "" || iface == common.AnyValue {
		return nil, fmt.Errorf("servicediscovery: lookup %s: interface %q: %w", url, iface, ErrUnsupported)
	}
	s := r.newSubscription(url, nil, false)
	if err := s.readTopology(ctx, dirty{all: true}); err != nil {
		return nil, fmt.Errorf("servicediscovery: lookup %s: %w", url, err)
	}
	list, _ := s.build(ctx, r.subscribeWait)
	urls := make([]*common.URL, len(list))
	for i, x := range list {
		urls[i] = x.u
	}
	return urls, nil
}

func (r *Registry) remove(s *subscription) {
	r.mu.Lock()
	for i, x := range r.subs {
		if x == s {
			r.subs = append(r.subs[:i:i], r.subs[i+1:]...)
			break
		}
	}
	r.mu.Unlock()
}

// Close implements registry.Registry: it ends every subscription, closes
// the session and the metadata connections. Idempotent.
func (r *Registry) Close() error {
	r.closeOnce.Do(func() {
		r.mu.Lock()
		r.closed = true
		subs := r.subs
		r.subs = nil
		r.mu.Unlock()
		for _, s := range subs {
			s.stop()
		}
		r.fetchStop()
		r.fetches.Wait()
		r.closePublisher()
		r.src.close()
		if r.proto != nil {
			r.proto.Destroy()
		}
	})
	return nil
}

// goFetch runs fetch on a goroutine of its own, at most
// maxParallelFetches at once, with a context Close cancels.
func (r *Registry) goFetch(fetch func(ctx context.Context)) {
	r.mu.Lock()
	if r.closed { // Close waits for no new fetch: end this one at once
		r.mu.Unlock()
		fetch(r.fetchCtx)
		return
	}
	r.fetches.Add(1)
	r.mu.Unlock()
	go func() {
		defer r.fetches.Done()
		select {
		case r.fetchSem <- struct{}{}:
		case <-r.fetchCtx.Done():
			fetch(r.fetchCtx) // fails at once, ending the entry
			return
		}
		defer func() { <-r.fetchSem }()
		fetch(r.fetchCtx)
	}()
}

// onEvent runs on the ZooKeeper client's goroutine for every event: it
// marks what changed in the subscriptions concerned and wakes them. It
// never blocks.
func (r *Registry) onEvent(ev zk.Event) {
	all := false
	switch {
	case ev.Type == zk.EventNotWatching:
		all = true // the session expired: every watch is gone
	case ev.Type == zk.EventSession:
		if ev.State != zk.StateHasSession {
			return
		}
		r.sessionAt.Store(time.Now().UnixNano())
		r.pub.wake() // a new session has none of the old one's instance nodes
		all = true   // a session (new or resumed): re-read, changes may have been missed
	case ev.Path == "":
		return
	}
	r.mu.Lock()
	subs := r.subs
	r.mu.Unlock()
	for _, s := range subs {
		if all {
			s.markAll()
		} else {
			s.mark(ev.Path)
		}
	}
}

// waitSession waits until the client has a session, up to ctx's deadline
// narrowed by the registry timeout.
//
// It also waits until the session has been up for sessionSettle: on a
// reconnection go-zookeeper v1.0.4 re-sends its watches while reading the
// last zxid without a lock, racing with the answers to requests issued
// meanwhile (a data race the race detector reports).
func (r *Registry) waitSession(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	t := time.NewTicker(10 * time.Millisecond)
	defer t.Stop()
	for r.conn.State() != zk.StateHasSession || time.Since(time.Unix(0, r.sessionAt.Load())) < sessionSettle {
		select {
		case <-ctx.Done():
			return fmt.Errorf("no ZooKeeper session with %s: %w", r.url.Address(), ctx.Err())
		case <-t.C:
		}
	}
	return nil
}

// readData reads a node's data, arming a data watch when watch is set. A
// missing node is (nil, false, nil), with an existence watch when watch
// and watchAbsent.
func (r *Registry) readData(path string, watch, watchAbsent bool) ([]byte, bool, error) {
	for range 3 { // a node deleted between Exists and Get, or created after
		var data []byte
		var err error
		if watch {
			data, _, _, err = r.conn.GetW(path)
		} else {
			data, _, err = r.conn.Get(path)
		}
		if err == nil {
			return data, true, nil
		}
		if !errors.Is(err, zk.ErrNoNode) {
			return nil, false, fmt.Errorf("read %s: %w", path, err)
		}
		if !watch || !watchAbsent {
			return nil, false, nil
		}
		ok, _, _, err := r.conn.ExistsW(path)
		if err != nil {
			return nil, false, fmt.Errorf("watch %s: %w", path, err)
		}
		if !ok {
			return nil, false, nil
		}
	}
	return nil, false, fmt.Errorf("read %s: node keeps appearing and vanishing", path)
}

// readChildren lists a node's children, arming a child watch when watch is
// set. A missing node has none (with an existence watch when watch).
func (r *Registry) readChildren(path string, watch bool) ([]string, error) {
	for range 3 {
		var children []string
		var err error
		if watch {
			children, _, _, err = r.conn.ChildrenW(path)
		} else {
			children, _, err = r.conn.Children(path)
		}
		if err == nil {
			return children, nil
		}
		if !errors.Is(err, zk.ErrNoNode) {
			return nil, fmt.Errorf("list %s: %w", path, err)
		}
		if !watch {
			return nil, nil
		}
		ok, _, _, err := r.conn.ExistsW(path)
		if err != nil {
			return nil, fmt.Errorf("watch %s: %w", path, err)
		}
		if !ok {
			return nil, nil
		}
	}
	return nil, fmt.Errorf("list %s: node keeps appearing and vanishing", path)
}

// zkLogger sends the client's messages to slog at debug level.
type zkLogger struct{ l *slog.Logger }

func (z zkLogger) Printf(format string, args ...any) { z.l.Debug(fmt.Sprintf(format, args...)) }
