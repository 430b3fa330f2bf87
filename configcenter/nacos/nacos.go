// Package nacos is a config center on Nacos (Java's
// NacosDynamicConfiguration): the content of key in group is the
// configuration with data id key in that Nacos group, the group defaulting
// to "dubbo". It runs on nacos-sdk-go/v2's config client
// (internal/nacos/configclient), which keeps its listeners across
// reconnections and server restarts.
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
// instead of using the SDK's listeners because those race in
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

	"github.com/nacos-group/nacos-sdk-go/v2/clients/config_client"
	"github.com/nacos-group/nacos-sdk-go/v2/vo"

	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/configcenter"
	inacos "github.com/fleetrpc/fleet/internal/nacos"
	"github.com/fleetrpc/fleet/internal/nacos/configclient"
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

// LeakyGoroutine is the SDK goroutine Close may leave behind
// (configclient.LeakyGoroutine), for goleak.IgnoreTopFunction.
const LeakyGoroutine = configclient.LeakyGoroutine

// Center is a Nacos config center. It implements configcenter.ConfigCenter;
// its methods are safe for concurrent use.
type Center struct {
	// immutable
	url     *common.URL
	log     *slog.Logger
	client  config_client.IConfigClient
	dirs    *inacos.Dirs
	group   string
	timeout time.Duration
	period  time.Duration // poll period
	quit    chan struct{}

	// sdk serialises the calls into the SDK's client: its lazily created
	// transport races when two calls start at once (v2.2.2).
	sdk sync.Mutex

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
	dirs, err := inacos.OpenDirs()
	if err != nil {
		return nil, fmt.Errorf("nacos config center: %w", err)
	}
	client, err := configclient.New(cfg, dirs)
	if err != nil {
		_ = dirs.Close()
		return nil, fmt.Errorf("nacos config center: %w", err)
	}
	return &Center{
		url:     url,
		log:     o.logger.With("component", "configcenter/nacos", "address", url.Address()),
		client:  client,
		dirs:    dirs,
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

// call runs fn (an SDK call, which takes no context) bounded by ctx.
func (c *Center) call(ctx context.Context, fn func() error) error {
	if c.isClosed() {
		return configcenter.ErrClosed
	}
	done := make(chan error, 1)
	go func() {
		c.sdk.Lock()
		defer c.sdk.Unlock()
		done <- fn()
	}()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Get implements configcenter.ConfigCenter.
func (c *Center) Get(ctx context.Context, key, group string) (string, error) {
	group = c.groupOr(group)
	var content string
	err := c.call(ctx, func() (err error) {
		content, err = c.client.GetConfig(vo.ConfigParam{DataId: key, Group: group})
		return err
	})
	if err != nil {
		return "", fmt.Errorf("nacos config center: get %s in %s: %w", key, group, err)
	}
	if content == "" {
		return "", fmt.Errorf("nacos config center: get %s in %s: %w", key, group, configcenter.ErrNotFound)
	}
	return content, nil
}

// Publish implements configcenter.ConfigCenter.
func (c *Center) Publish(ctx context.Context, key, group, content string) error {
	group = c.groupOr(group)
	err := c.call(ctx, func() error {
		ok, err := c.client.PublishConfig(vo.ConfigParam{DataId: key, Group: group, Content: content})
		if err == nil && !ok {
			err = errors.New("refused by the server")
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("nacos config center: publish %s in %s: %w", key, group, err)
	}
	return nil
}

// Remove implements configcenter.ConfigCenter.
func (c *Center) Remove(ctx context.Context, key, group string) error {
	group = c.groupOr(group)
	err := c.call(ctx, func() error {
		_, err := c.client.DeleteConfig(vo.ConfigParam{DataId: key, Group: group})
		return err
	})
	if err != nil {
		return fmt.Errorf("nacos config center: remove %s in %s: %w", key, group, err)
	}
	return nil
}

// Close implements configcenter.ConfigCenter: it ends every watch, closes
// the SDK's client and removes its directory.
func (c *Center) Close() error {
	c.closeOnce.Do(func() {
		c.mu.Lock()
		c.closed = true
		c.keys = map[keyID]*keyWatch{}
		c.mu.Unlock()
		close(c.quit)
		c.wg.Wait()
		c.sdk.Lock()
		c.client.CloseClient()
		c.sdk.Unlock()
		if err := c.dirs.Close(); err != nil {
			c.log.Warn("nacos sdk directory not removed", "error", err)
		}
	})
	return nil
}
