package dubbo

import (
	"context"
	"log/slog"
	"net"
	"time"
)

// Option configures a Protocol.
type Option func(*options)

type options struct {
	logger *slog.Logger
	dial   func(ctx context.Context, network, address string) (net.Conn, error)
	grace  time.Duration
}

// WithLogger sets the logger; nil means slog.Default().
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.logger = l } }

// WithDialer sets the function that opens consumer connections (default: a
// net.Dialer with keep-alive).
func WithDialer(dial func(ctx context.Context, network, address string) (net.Conn, error)) Option {
	return func(o *options) { o.dial = dial }
}

// WithGracePeriod bounds how long closing a provider server waits for
// in-flight requests (default 10 s).
func WithGracePeriod(d time.Duration) Option { return func(o *options) { o.grace = d } }
