package common

import "log/slog"

// LogValue implements slog.LogValuer: a URL is logged as its String form
// (without the password) by every handler. Without it a JSON handler would
// write the struct, whose fields are unexported: {}.
func (u *URL) LogValue() slog.Value {
	if u == nil {
		return slog.StringValue("<nil>")
	}
	return slog.StringValue(u.String())
}
