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
	logger *slog.Logger
	dialer Dialer
}

// WithLogger sets the logger; nil means slog.Default().
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.logger = l } }

// WithDialer sets how connections to the ensemble are dialled; nil means
// net.DialTimeout.
func WithDialer(d Dialer) Option { return func(o *options) { o.dialer = d } }
