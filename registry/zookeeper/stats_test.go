package zookeeper_test

import (
	"log/slog"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/fleetrpc/fleet/internal/testutil"
	"github.com/fleetrpc/fleet/registry"
)

// TestStatsFollowTheSession: Stats reports the session up, down while cut
// off, and one expiry once a new session replaced the expired one; through
// the failback wrapper too.
func TestStatsFollowTheSession(t *testing.T) {
	group := root(t)
	g := &gates{}
	zr := open(t, registryURL(t, group, ""), g.dialers()...)
	f := registry.NewFailback(zr, registry.WithRetryPeriod(time.Hour), registry.WithSnapshot(nil),
		registry.WithLogger(slog.New(slog.DiscardHandler)))
	t.Cleanup(func() { f.Close() })
	stats := func() registry.Stats {
		s, ok := registry.ReadStats(f)
		require.True(t, ok)
		return s
	}
	require.Eventually(t, func() bool { return stats().Connected }, testutil.DefaultTimeout, tick)
	require.Equal(t, registry.Stats{Session: true, Connected: true}, stats())

	g.SetDown(true)
	require.Eventually(t, func() bool { return !stats().Connected }, testutil.DefaultTimeout, tick, "cut off")
	expire(t, g)
	require.Equal(t, uint64(0), stats().SessionExpiries, "not known until the client is back")
	g.SetDown(false)
	require.Eventually(t, func() bool { return stats().Connected }, testutil.DefaultTimeout, tick)
	require.Equal(t, registry.Stats{Session: true, Connected: true, SessionExpiries: 1}, stats())

	// Expired while connected: ZooKeeper closes the connection, a new
	// session follows.
	expire(t, g)
	require.Eventually(t, func() bool { s := stats(); return s.Connected && s.SessionExpiries == 2 },
		testutil.DefaultTimeout, tick)
}
