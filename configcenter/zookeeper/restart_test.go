package zookeeper_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/configcenter/zookeeper"
	"github.com/fleetrpc/fleet/internal/zktest"
)

// TestServerRestart: a real ZooKeeper restarts on its data (the session
// survives): the center reconnects, re-reads and re-watches every key, and
// changes made afterwards arrive; when it comes back with no data at all,
// the center starts a new session after the session timeout.
func TestServerRestart(t *testing.T) {
	zktest.Addr(t) // the ZooKeeper tests' switch
	z := zktest.StartServer(t)
	u := common.MustParse("zookeeper://" + z.Addr() + "?session=4000&timeout=3000")
	writer := open(t, u)
	c := open(t, u)
	a, b := newEvents(), newEvents()
	stopA, err := c.Watch("a.condition-router", "", a.fn)
	require.NoError(t, err)
	defer stopA()
	stopB, err := c.Watch("b.tag-router", "", b.fn)
	require.NoError(t, err)
	defer stopB()
	require.True(t, a.next(t).Deleted)
	require.True(t, b.next(t).Deleted)
	require.NoError(t, writer.Publish(ctx, "a.condition-router", "", "a1"))
	require.Equal(t, "a1", a.next(t).Content)

	z.Restart()
	require.NoError(t, writer.Publish(ctx, "a.condition-router", "", "a2"))
	require.Equal(t, "a2", a.next(t).Content, "after a restart on the same data")
	require.NoError(t, writer.Publish(ctx, "b.tag-router", "", "b1"))
	require.Equal(t, "b1", b.next(t).Content)

	// A change made while the server is down arrives once it is back.
	z.Restart()
	require.NoError(t, writer.Publish(ctx, "b.tag-router", "", "b2"))
	require.Equal(t, "b2", b.next(t).Content)
	require.Equal(t, "a2", mustGet(t, c, "a.condition-router"))

	// The server comes back with no data at all (a replaced ensemble): it
	// refuses the old client, which saw later transactions; after the
	// session timeout the center starts a new session, reads every key
	// again (gone now) and watches it on the new server.
	z.RestartEmpty()
	require.True(t, a.next(t).Deleted, "re-read on the empty server")
	require.True(t, b.next(t).Deleted)
	fresh := open(t, u)
	require.NoError(t, fresh.Publish(ctx, "b.tag-router", "", "b3"))
	require.Equal(t, "b3", b.next(t).Content, "watched again on the new server")
}

func mustGet(t *testing.T, c *zookeeper.Center, key string) string {
	t.Helper()
	s, err := c.Get(ctx, key, "")
	require.NoError(t, err)
	return s
}
