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
	// listen opens provider listeners (net.Listen unless a test sets it).
	listen func(network, address string) (net.Listener, error)

	readBudget int64
	// idleRead overrides defaultIdleRead (tests).
	idleRead time.Duration
}

// DefaultReadBudget is the default of WithReadBudget, 64 MiB.
const DefaultReadBudget = 64 << 20

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

// WithReadBudget bounds the memory that request bodies larger than a read
// buffer (16 KiB) may hold while they arrive, summed over every connection
// of this Protocol's provider servers (default DefaultReadBudget). A
// connection whose body would exceed it is closed; one body is always
// admitted, up to the payload limit. n ≤ 0 means the default.
func WithReadBudget(n int64) Option {
	return func(o *options) {
		if n > 0 {
			o.readBudget = n
		}
	}
}
