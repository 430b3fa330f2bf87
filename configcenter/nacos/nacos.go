// Package nacos is a config center on Nacos (Java's
// NacosDynamicConfiguration): the content of key in group is the
// configuration with data id key in that Nacos group, the group defaulting
// to "dubbo". It sends Nacos 2.x config requests over the gRPC connection
// of an internal/nacos client (the one the registry uses too), which waits
// for a connection and reconnects; nacos-sdk-go/v2's own config client
// hands requests to its transport while that reconnects, a data race
// (v2.2.x), and writes cache files.
//
// URL: nacos://[user:password@]host:port[?namespace=<Nacos namespace id>
// &group=…&timeout=…] (internal/nacos.ParseURL reads the rest).
//
// A watch reads its key in the background, at once and then every poll
// period (URL parameter config.poll, milliseconds or a Go duration, default
// 1s), so Watch never blocks and a server that was down or restarted is
// read again as soon as it answers; an empty or missing configuration is a
// deletion, as Nacos itself does not tell them apart, delivered once two
// reads in a row agree (a restarting server answers "not found" for a
// moment, and a restart must not revert a rule). The center polls
// instead of listening because the SDK's config listeners race in
// nacos-sdk-go v2.2.2 (its listen loop and its push handler both write a
// cache entry's sync flag, unguarded), which the race detector reports.
package nacos

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/configcenter"
	inacos "github.com/fleetrpc/fleet/internal/nacos"
)

// Scheme is the URL scheme of this config center.
const Scheme = "nacos"

// PollKey is the URL parameter of the poll period.
const PollKey = "config.poll"

// DefaultPoll is the poll period when the URL sets none.
const DefaultPoll = time.Second

func init() {
	configcenter.Register(Scheme, func(u *common.URL) (configcenter.ConfigCenter, error) { return New(u) })
}

// Option configures a Center.
type Option func(*options)

type options struct{ logger *slog.Logger }

// WithLogger sets the logger; nil means slog.Default().
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.logger = l } }

// Center is a Nacos config center. It implements configcenter.ConfigCenter;
// its methods are safe for concurrent use.
type Center struct {
	// immutable
	url     *common.URL
	log     *slog.Logger
	client  *inacos.NamingClient
	group   string
	timeout time.Duration
	period  time.Duration // poll period
	quit    chan struct{}

	mu     sync.Mutex // guards keys, closed
	keys   map[keyID]*keyWatch
	closed bool
	wg     sync.WaitGroup

	closeOnce sync.Once
}

var _ configcenter.ConfigCenter = (*Center)(nil)

type keyID struct{ key, group string }

// New returns a Center for url. It does not wait for the server.
func New(url *common.URL, opts ...Option) (*Center, error) {
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	if o.logger == nil {
		o.logger = slog.Default()
	}
	cfg, err := inacos.ParseURL(url)
	if err != nil {
		return nil, fmt.Errorf("nacos config center: %w", err)
	}
	period, err := url.ParamDuration(PollKey, DefaultPoll)
	if err != nil || period <= 0 {
		return nil, fmt.Errorf("nacos config center: %s: bad %s", url.Address(), PollKey)
	}
	log := o.logger.With("component", "configcenter/nacos", "address", url.Address())
	client, err := inacos.NewNamingClient(cfg, inacos.WithLogger(log))
	if err != nil {
		return nil, fmt.Errorf("nacos config center: %w", err)
	}
	return &Center{
		url:     url,
		log:     log,
		client:  client,
		group:   url.ParamOr(configcenter.GroupKey, configcenter.DefaultGroup),
		timeout: cfg.Timeout,
		period:  period,
		quit:    make(chan struct{}),
		keys:    map[keyID]*keyWatch{},
	}, nil
}

// URL implements configcenter.ConfigCenter.
func (c *Center) URL() *common.URL { return c.url }

func (c *Center) groupOr(g string) string {
	if g == "" {
		return c.group
	}
	return g
}

func (c *Center) isClosed() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closed
}

// bound returns ctx bounded by the center's timeout; ErrClosed once closed.
func (c *Center) bound(ctx context.Context) (context.Context, context.CancelFunc, error) {
	if c.isClosed() {
		return nil, nil, configcenter.ErrClosed
	}
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	return ctx, cancel, nil
}

// Get implements configcenter.ConfigCenter.
func (c *Center) Get(ctx context.Context, key, group string) (string, error) {
	group = c.groupOr(group)
	ctx, cancel, err := c.bound(ctx)
	if err != nil {
		return "", err
	}
	defer cancel()
	content, err := c.client.GetConfig(ctx, key, group)
	if err == nil && content == "" {
		err = inacos.ErrConfigNotFound // Nacos does not tell empty from missing
	}
	if errors.Is(err, inacos.ErrConfigNotFound) {
		return "", fmt.Errorf("nacos config center: get %s in %s: %w", key, group, configcenter.ErrNotFound)
	}
	if err != nil {
		return "", fmt.Errorf("nacos config center: %w", err)
	}
	return content, nil
}

// Publish implements configcenter.ConfigCenter.
func (c *Center) Publish(ctx context.Context, key, group, content string) error {
	ctx, cancel, err := c.bound(ctx)
	if err != nil {
		return err
	}
	defer cancel()
	if err := c.client.PublishConfig(ctx, key, c.groupOr(group), content); err != nil {
		return fmt.Errorf("nacos config center: %w", err)
	}
	return nil
}

// Remove implements configcenter.ConfigCenter.
func (c *Center) Remove(ctx context.Context, key, group string) error {
	ctx, cancel, err := c.bound(ctx)
	if err != nil {
		return err
	}
	defer cancel()
	if err := c.client.RemoveConfig(ctx, key, c.groupOr(group)); err != nil {
		return fmt.Errorf("nacos config center: %w", err)
	}
	return nil
}

// Close implements configcenter.ConfigCenter: it ends every watch and
// closes the client.
func (c *Center) Close() error {
	c.closeOnce.Do(func() {
		c.mu.Lock()
		c.closed = true
		c.keys = map[keyID]*keyWatch{}
		c.mu.Unlock()
		close(c.quit)
		c.wg.Wait()
		if err := c.client.Close(); err != nil {
			c.log.Warn("nacos client not closed", "error", err)
		}
	})
	return nil
}
