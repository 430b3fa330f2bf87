// Package zookeeper is a config center on ZooKeeper with dubbo-admin's
// layout (Java's ZookeeperDynamicConfiguration): the content of key in
// group is the data of the node /<namespace>/config/<group>/<key>,
// namespace and group defaulting to "dubbo", so /dubbo/config/dubbo/<key>.
//
// URL: zookeeper://[user:password@]host:port[?backup=h2:p2&namespace=…
// &group=…&timeout=…&session=…] (timeout, default 5s, bounds each
// operation; session, default 60s, is the session timeout; user:password is
// a digest auth, nodes are then created with its ACL).
//
// New does not wait for the ensemble. A watch reads its node as soon as a
// session is up and arms a data watch on it, or an exists watch when the
// node is missing, so a key created later is seen. Every (re)established
// session — after a connection loss, an expiry or a server restart —
// re-reads every watched key and delivers what changed meanwhile. Without
// a session for longer than the session timeout (an ensemble that lost
// its data refuses a client that saw later transactions), the center
// starts a new client and session, as Curator does.
package zookeeper

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"path"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/configcenter"
)

// Scheme is the URL scheme of this config center.
const Scheme = "zookeeper"

// Defaults of the URL's parameters.
const (
	DefaultPort           = 2181
	DefaultTimeout        = 5 * time.Second
	DefaultSessionTimeout = 60 * time.Second
	// SessionKey is the session timeout parameter.
	SessionKey = "session"
)

// retryPeriod is how soon a watch whose read failed while a session was up
// reads again.
const retryPeriod = time.Second

func init() {
	configcenter.Register(Scheme, func(u *common.URL) (configcenter.ConfigCenter, error) { return New(u) })
}

// Dialer dials the ensemble (tests cut connections with one).
type Dialer func(network, address string, timeout time.Duration) (net.Conn, error)

// Option configures a Center.
type Option func(*options)

type options struct {
	logger *slog.Logger
	dialer Dialer
}

// WithLogger sets the logger; nil means slog.Default().
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.logger = l } }

// WithDialer dials the ensemble through d.
func WithDialer(d Dialer) Option { return func(o *options) { o.dialer = d } }

// Center is a ZooKeeper config center. It implements
// configcenter.ConfigCenter; its methods are safe for concurrent use.
type Center struct {
	// immutable
	url         *common.URL
	log         *slog.Logger
	root        string // /<namespace>/config
	group       string // default group
	timeout     time.Duration
	acl         []zk.ACL
	quit        chan struct{} // closed by Close
	servers     []string
	sessTimeout time.Duration // the session timeout
	dialer      Dialer

	conn     atomic.Pointer[zk.Conn] // the client; replaced by a new one after a session timeout without session (session.go)
	connGen  atomic.Uint64           // the generation of conn; events of older ones are ignored
	expiries atomic.Uint64           // sessions lost: expired, or replaced after the session timeout
	libWG    sync.WaitGroup          // the clients' goroutines

	sessMu    sync.Mutex
	sessUp    chan struct{} // closed while a session is up
	sessGen   chan struct{} // closed (and replaced) whenever a session comes up
	expired   bool          // the last session expired
	downSince time.Time     // when the session was last lost; zero while up

	mu     sync.Mutex // guards closed
	closed bool
	wg     sync.WaitGroup // the watches' goroutines

	closeOnce sync.Once
}

var _ configcenter.ConfigCenter = (*Center)(nil)

// New returns a Center for url. It connects in the background.
func New(url *common.URL, opts ...Option) (*Center, error) {
	if url.Host() == "" || url.IsAnyHost() {
		return nil, fmt.Errorf("zookeeper config center: address is empty or any-host in %s", url)
	}
	o := options{}
	for _, opt := range opts {
		opt(&o)
	}
	if o.logger == nil {
		o.logger = slog.Default()
	}
	if o.dialer == nil {
		o.dialer = net.DialTimeout
	}
	timeout, err := url.ParamDuration(common.TimeoutKey, DefaultTimeout)
	if err != nil {
		return nil, fmt.Errorf("zookeeper config center %s: %w", url.Address(), err)
	}
	session, err := url.ParamDuration(SessionKey, DefaultSessionTimeout)
	if err != nil {
		return nil, fmt.Errorf("zookeeper config center %s: %w", url.Address(), err)
	}
	if timeout <= 0 || session <= 0 {
		return nil, fmt.Errorf("zookeeper config center %s: timeouts must be positive", url.Address())
	}
	ns := strings.Trim(url.ParamOr(configcenter.NamespaceKey, configcenter.DefaultGroup), "/")
	c := &Center{
		url:     url,
		log:     o.logger.With("component", "configcenter/zookeeper", "address", url.Address()),
		root:    "/" + ns + "/config",
		group:   url.ParamOr(configcenter.GroupKey, configcenter.DefaultGroup),
		timeout: timeout,
		acl:     zk.WorldACL(zk.PermAll),
		quit:    make(chan struct{}),
		sessUp:  make(chan struct{}),
		sessGen: make(chan struct{}),
	}
	if ns == "" {
		c.root = "/config"
	}
	for _, s := range strings.Split(url.BackupAddress(DefaultPort), ",") {
		if s = strings.TrimSpace(s); s != "" {
			c.servers = append(c.servers, s)
		}
	}
	c.sessTimeout, c.dialer = session, o.dialer
	if url.Username() != "" {
		c.acl = zk.DigestACL(zk.PermAll, url.Username(), url.Password())
	}
	if err := c.connect(); err != nil {
		return nil, fmt.Errorf("zookeeper config center: connect %s: %w", url.Address(), err)
	}
	c.wg.Add(1)
	go c.supervise()
	return c, nil
}

// URL implements configcenter.ConfigCenter.
func (c *Center) URL() *common.URL { return c.url }

// Path is the node of key in group (the default group when empty).
func (c *Center) Path(key, group string) string {
	if group == "" {
		group = c.group
	}
	return path.Join(c.root, group, key)
}

// event follows the session; it runs on the client's goroutine and never
// blocks.
func (c *Center) event(gen uint64, ev zk.Event) {
	if ev.Type != zk.EventSession || gen != c.connGen.Load() {
		return
	}
	c.sessMu.Lock()
	defer c.sessMu.Unlock()
	switch ev.State {
	case zk.StateHasSession:
		c.downSince = time.Time{}
		select {
		case <-c.sessUp:
		default:
			close(c.sessUp)
		}
		if c.expired {
			c.log.Warn("zookeeper session expired; re-reading every watched key")
			c.expired = false
		}
		close(c.sessGen)
		c.sessGen = make(chan struct{})
	case zk.StateDisconnected, zk.StateConnecting, zk.StateExpired, zk.StateAuthFailed:
		if ev.State == zk.StateExpired {
			c.expired = true
			c.expiries.Add(1)
		}
		if c.downSince.IsZero() {
			c.downSince = time.Now()
		}
		select {
		case <-c.sessUp:
			c.sessUp = make(chan struct{})
		default:
		}
	}
}

// session returns the channel closed while a session is up and the one
// closed when the next session comes up.
func (c *Center) session() (up, next <-chan struct{}) {
	c.sessMu.Lock()
	defer c.sessMu.Unlock()
	return c.sessUp, c.sessGen
}

// begin narrows ctx by the timeout and waits for a session.
func (c *Center) begin(ctx context.Context) (context.CancelFunc, error) {
	c.mu.Lock()
	closed := c.closed
	c.mu.Unlock()
	if closed {
		return nil, configcenter.ErrClosed
	}
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	up, _ := c.session()
	select {
	case <-up:
		return cancel, nil
	case <-ctx.Done():
		cancel()
		return nil, fmt.Errorf("not connected: %w", ctx.Err())
	case <-c.quit:
		cancel()
		return nil, configcenter.ErrClosed
	}
}

// Get implements configcenter.ConfigCenter.
func (c *Center) Get(ctx context.Context, key, group string) (string, error) {
	p := c.Path(key, group)
	cancel, err := c.begin(ctx)
	if err != nil {
		return "", fmt.Errorf("zookeeper config center: get %s: %w", p, err)
	}
	defer cancel()
	data, _, err := c.conn.Load().Get(p)
	if errors.Is(err, zk.ErrNoNode) {
		return "", fmt.Errorf("zookeeper config center: get %s: %w", p, configcenter.ErrNotFound)
	}
	if err != nil {
		return "", fmt.Errorf("zookeeper config center: get %s: %w", p, err)
	}
	return string(data), nil
}

// Publish implements configcenter.ConfigCenter: it sets the node's data,
// creating it and its parents (persistent) when missing.
func (c *Center) Publish(ctx context.Context, key, group, content string) error {
	p := c.Path(key, group)
	cancel, err := c.begin(ctx)
	if err != nil {
		return fmt.Errorf("zookeeper config center: publish %s: %w", p, err)
	}
	defer cancel()
	for attempt := 0; attempt < 3; attempt++ {
		_, err = c.conn.Load().Set(p, []byte(content), -1)
		if !errors.Is(err, zk.ErrNoNode) {
			break
		}
		if err = c.ensureParents(p); err != nil {
			break
		}
		_, err = c.conn.Load().Create(p, []byte(content), 0, c.acl)
		if !errors.Is(err, zk.ErrNodeExists) {
			break
		}
	}
	if err != nil {
		return fmt.Errorf("zookeeper config center: publish %s: %w", p, err)
	}
	return nil
}

func (c *Center) ensureParents(p string) error {
	var dirs []string
	for d := path.Dir(p); d != "/" && d != "."; d = path.Dir(d) {
		dirs = append(dirs, d)
	}
	for i := len(dirs) - 1; i >= 0; i-- {
		if _, err := c.conn.Load().Create(dirs[i], nil, 0, c.acl); err != nil && !errors.Is(err, zk.ErrNodeExists) {
			return err
		}
	}
	return nil
}

// Remove implements configcenter.ConfigCenter.
func (c *Center) Remove(ctx context.Context, key, group string) error {
	p := c.Path(key, group)
	cancel, err := c.begin(ctx)
	if err != nil {
		return fmt.Errorf("zookeeper config center: remove %s: %w", p, err)
	}
	defer cancel()
	if err := c.conn.Load().Delete(p, -1); err != nil && !errors.Is(err, zk.ErrNoNode) {
		return fmt.Errorf("zookeeper config center: remove %s: %w", p, err)
	}
	return nil
}

// Close implements configcenter.ConfigCenter: it stops every watch, waits
// for their goroutines and closes the session.
func (c *Center) Close() error {
	c.closeOnce.Do(func() {
		c.mu.Lock()
		c.closed = true
		c.mu.Unlock()
		close(c.quit)
		c.wg.Wait()
		c.conn.Load().Close()
		lib := make(chan struct{})
		go func() { c.libWG.Wait(); close(lib) }()
		select {
		case <-lib:
		case <-time.After(c.timeout + 2*time.Second):
			c.log.Error("zookeeper client did not stop in time")
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
