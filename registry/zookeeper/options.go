package zookeeper

import (
	"log/slog"
	"net"
	"time"
)

// Dialer opens the TCP connection to one ensemble member. It has the
// signature of net.DialTimeout.
type Dialer func(network, address string, timeout time.Duration) (net.Conn, error)

// Option configures New.
type Option func(*options)

type options struct {
	logger      *slog.Logger
	dialer      Dialer
	watchDialer Dialer
}

// WithLogger sets the logger; nil means slog.Default().
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.logger = l } }

// WithDialer sets how the connections of the registry's main session
// (registrations, Lookup, the * root watch, child watches) are dialled;
// nil means net.DialTimeout.
func WithDialer(d Dialer) Option { return func(o *options) { o.dialer = d } }

// WithWatchDialer sets how the connections of the registry's watch session
// (persistent watches on the category paths it subscribes, see
// PersistentWatchKey) are dialled; nil means net.DialTimeout. It is apart
// from WithDialer so that a dialer that follows the main session (say,
// one that expires it in a test) sees that session only.
func WithWatchDialer(d Dialer) Option { return func(o *options) { o.watchDialer = d } }
