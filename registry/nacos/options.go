package nacos

import "log/slog"

// Option configures New.
type Option func(*options)

type options struct {
	logger *slog.Logger
}

// WithLogger sets the logger; nil means slog.Default().
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.logger = l } }
