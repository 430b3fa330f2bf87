package zookeeper_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/fleetrpc/fleet/configcenter/zookeeper"
	"github.com/fleetrpc/fleet/internal/testutil"
	"github.com/fleetrpc/fleet/internal/zktest"
)

// TestConnectedFollowsTheSession: up once a session is, down while cut
// off, up again when the connection is back.
func TestConnectedFollowsTheSession(t *testing.T) {
	g := &zktest.Gate{}
	c := open(t, centerURL(t, namespace(t), ""), zookeeper.WithDialer(g.Dial))
	require.Eventually(t, c.Connected, testutil.DefaultTimeout, 10*time.Millisecond)
	g.SetDown(true)
	require.Eventually(t, func() bool { return !c.Connected() }, testutil.DefaultTimeout, 10*time.Millisecond, "cut off")
	g.SetDown(false)
	require.Eventually(t, c.Connected, testutil.DefaultTimeout, 10*time.Millisecond, "back")
}

// TestSessionExpiriesCounted: an expired session is counted once it is
// replaced.
func TestSessionExpiriesCounted(t *testing.T) {
	g := &zktest.Gate{}
	c := open(t, centerURL(t, namespace(t), ""), zookeeper.WithDialer(g.Dial))
	require.Eventually(t, c.Connected, testutil.DefaultTimeout, 10*time.Millisecond)
	require.Zero(t, c.SessionExpiries())
	expire(t, g)
	require.Eventually(t, func() bool { return c.SessionExpiries() == 1 && c.Connected() }, testutil.DefaultTimeout, 10*time.Millisecond)
}
