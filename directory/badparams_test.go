package directory

import (
	"bytes"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

// syncBuffer is a bytes.Buffer safe for a logger's concurrent writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// take returns what was written since the last take.
func (s *syncBuffer) take() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.b.String()
	s.b.Reset()
	return out
}

// TestBadParamsLoggedOncePerChange: an override with timeout=-1 is logged
// once when it arrives, for all the providers it reaches (one line, their
// count), not again on a push that changes nothing, and again for a new
// provider it reaches.
func TestBadParamsLoggedOncePerChange(t *testing.T) {
	var logs syncBuffer
	d := newDir(t, &fakeProtocol{}, "", WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	p1, p2 := prov("10.0.0.1", 1, ""), prov("10.0.0.2", 1, "&weight=-5")
	d.Notify(urls(p1, p2))
	require.Equal(t, 1, strings.Count(logs.take(), "bad URL parameter"), "the provider's own weight=-5")

	d.Notify(urls(override("timeout=-1")))
	out := logs.take()
	require.Contains(t, out, `param timeout: invalid duration \"-1\": not positive`)
	require.Contains(t, out, "urls=3", "two providers and the consumer URL the cluster reads, in one line")
	require.Equal(t, 1, strings.Count(out, `param timeout:`))

	d.Notify(urls(override("timeout=-1")))
	d.Notify(urls(p1, p2))
	require.NotContains(t, logs.take(), "param timeout", "nothing changed")

	d.Notify(urls(p1, p2, prov("10.0.0.3", 1, "")))
	out = logs.take()
	require.Contains(t, out, `param timeout:`)
	require.Contains(t, out, "urls=1", "the new provider only")
}
