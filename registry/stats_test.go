package registry_test

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/registry"
)

// sessionRegistry fails every operation and reports a session of its own.
type sessionRegistry struct{ url *common.URL }

func (s sessionRegistry) URL() *common.URL { return s.url }
func (s sessionRegistry) Register(context.Context, *common.URL) error {
	return errors.New("down")
}
func (s sessionRegistry) Unregister(context.Context, *common.URL) error { return errors.New("down") }
func (s sessionRegistry) Subscribe(context.Context, *common.URL, registry.NotifyListener) error {
	return errors.New("down")
}
func (s sessionRegistry) Unsubscribe(context.Context, *common.URL, registry.NotifyListener) error {
	return errors.New("down")
}
func (s sessionRegistry) Lookup(context.Context, *common.URL) ([]*common.URL, error) {
	return nil, errors.New("down")
}
func (s sessionRegistry) Close() error { return nil }
func (s sessionRegistry) Stats() registry.Stats {
	return registry.Stats{Session: true, Connected: false, SessionExpiries: 3}
}

func TestFailbackStats(t *testing.T) {
	inner := sessionRegistry{url: common.MustParse("zookeeper://127.0.0.1:1")}
	_, ok := registry.ReadStats(struct{ registry.Registry }{inner})
	require.False(t, ok, "a registry without Stats")

	f := registry.NewFailback(inner, registry.WithRetryPeriod(time.Hour), registry.WithSnapshot(nil),
		registry.WithLogger(slog.New(slog.DiscardHandler)))
	defer f.Close()
	s, ok := registry.ReadStats(f)
	require.True(t, ok)
	require.Equal(t, registry.Stats{Session: true, SessionExpiries: 3}, s)

	ctx := context.Background()
	for _, port := range []int{1, 2} {
		u := common.NewURL("dubbo", "10.0.0.1", port, "org.example.S", map[string]string{common.CategoryKey: common.ProvidersCategory, common.CheckKey: "false"})
		require.NoError(t, f.Register(ctx, u), "failback queues the failed register")
	}
	s, _ = registry.ReadStats(f)
	require.Equal(t, 2, s.Pending, "two registrations wait for a retry")
	require.Equal(t, uint64(3), s.SessionExpiries, "the inner registry's")
}
