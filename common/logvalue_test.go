package common

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestLogValue: a URL in a log record is its String form, in JSON as in
// text, and never shows the password.
func TestLogValue(t *testing.T) {
	u := MustParse("zookeeper://admin:secret@127.0.0.1:2181/org.a.Svc?timeout=-1")
	var nilURL *URL
	tests := []struct {
		name    string
		handler func(*bytes.Buffer) slog.Handler
	}{
		{"json", func(b *bytes.Buffer) slog.Handler { return slog.NewJSONHandler(b, nil) }},
		{"text", func(b *bytes.Buffer) slog.Handler { return slog.NewTextHandler(b, nil) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			slog.New(tt.handler(&buf)).Warn("bad", "url", u, "none", nilURL)
			out := buf.String()
			require.Contains(t, out, "127.0.0.1:2181/org.a.Svc?timeout=-1")
			require.NotContains(t, out, "secret")
			require.Contains(t, out, "<nil>")
			if tt.name == "json" {
				var rec map[string]any
				require.NoError(t, json.Unmarshal(buf.Bytes(), &rec))
				require.Equal(t, u.String(), rec["url"])
			}
		})
	}
}
