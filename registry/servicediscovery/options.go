package servicediscovery

import (
	"log/slog"
	"net"
	"time"

	"github.com/fleetrpc/fleet/protocol"
)

// Dialer opens the TCP connection to one ensemble member. It has the
// signature of net.DialTimeout.
type Dialer func(network, address string, timeout time.Duration) (net.Conn, error)

// Option configures New and NewNacos.
type Option func(*options)

type options struct {
	logger  *slog.Logger
	dialer  Dialer
	fetcher Fetcher
	retry   time.Duration
	timeout time.Duration

	subscribeWait time.Duration
	metadataProto protocol.Protocol
}

// WithLogger sets the logger; nil means slog.Default().
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.logger = l } }

// WithFetcher replaces how metadata of storage type local is fetched
// (default: MetadataService.getMetadataInfo over a private dubbo://
// protocol).
func WithFetcher(f Fetcher) Option { return func(o *options) { o.fetcher = f } }

// WithRetryPeriod sets how long a failed read or metadata fetch waits
// before it is tried again (default: the registry URL's retry.period, else
// 5 s).
func WithRetryPeriod(d time.Duration) Option { return func(o *options) { o.retry = d } }

// WithMetadataTimeout bounds one getMetadataInfo call (default: the
// registry URL's metadata.timeout, else 3 s).
func WithMetadataTimeout(d time.Duration) Option { return func(o *options) { o.timeout = d } }

// WithDialer sets how connections to the ZooKeeper ensemble are dialled
// (New only); nil means net.DialTimeout.
func WithDialer(d Dialer) Option { return func(o *options) { o.dialer = d } }

// WithSubscribeWait bounds how long Subscribe (and Lookup) wait for
// metadata being fetched before the first notification (default: the
// metadata timeout). Instances whose metadata comes later are notified
// when it comes; later changes never wait.
func WithSubscribeWait(d time.Duration) Option { return func(o *options) { o.subscribeWait = d } }
