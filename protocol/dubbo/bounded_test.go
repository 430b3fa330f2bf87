package dubbo

import (
	"bytes"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestNonPositiveParamsFallBack: a timeout <= 0 (as an override with
// timeout=-1 leaves it), a connect timeout <= 0 and a negative connections
// count fall back to their defaults, as Java's positive getters read them,
// instead of failing every call; the refer logs the bad values once.
func TestNonPositiveParamsFallBack(t *testing.T) {
	var logs bytes.Buffer
	p := New(WithLogger(slog.New(slog.NewTextHandler(&logs, nil))), WithGracePeriod(2*time.Second))
	t.Cleanup(p.Destroy)
	u := provider(t, newProto(t), &userImpl{}, "")
	tests := []struct {
		name, params string
		logged       string
	}{
		{"timeout -1", "timeout=-1", ""},
		{"timeout 0", "timeout=0&add.timeout=0", ""},
		{"method timeout -1", "timeout=3000&add.timeout=-1", ""},
		{"connect.timeout -1", "connect.timeout=-1", `param connect.timeout: invalid duration \"-1\": not positive`},
		{"connections -2", "connections=-2&shareconnections=0", `param connections: invalid integer \"-2\": negative`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			logs.Reset()
			inv := refer(t, p, u.WithParams(paramsOf(tt.params)))
			res := invoke(inv, "add", []string{"int", "int"}, int32(2), int32(3))
			require.NoError(t, res.Error())
			require.Equal(t, int32(5), res.Value())
			if tt.logged != "" {
				require.Contains(t, logs.String(), tt.logged)
			}
		})
	}
}

func paramsOf(query string) map[string]string {
	m := map[string]string{}
	for _, kv := range bytes.Split([]byte(query), []byte("&")) {
		k, v, _ := bytes.Cut(kv, []byte("="))
		m[string(k)] = string(v)
	}
	return m
}
