package servicediscovery

import (
	"testing"
	"time"

	"github.com/fleetrpc/fleet/internal/zktest"
	"github.com/stretchr/testify/require"
)

// expire ends the session g last saw, as ZooKeeper's timeout would, and
// returns its id.
func expire(t *testing.T, g *zktest.Gate) int64 {
	t.Helper()
	sid, err := g.Expire(zktest.Addr(t))
	require.NoError(t, err)
	return sid
}

// Cut off from ZooKeeper, a subscriber keeps its list; changes made
// meanwhile arrive once it is back.
func TestChangesWhileCutOffArriveOnReconnect(t *testing.T) {
	e := newEnv(t)
	_, msPort := serveMetadata(t, e.app, e.metadata(e.app, "r1", nil))
	e.mapping(e.app)
	first := e.instance(e.app, 36001, "r1", msPort)
	g := &zktest.Gate{}
	r := e.open("", WithDialer(g.Dial), WithRetryPeriod(100*time.Millisecond))
	rec := &recorder{}
	require.NoError(t, r.Subscribe(ctx, e.consumer(""), rec))
	require.Equal(t, []string{"dubbo://127.0.0.1:36001"}, rec.addrs())

	g.SetDown(true)
	e.instance(e.app, 36002, "r1", msPort)
	e.Delete(first)
	require.Equal(t, []string{"dubbo://127.0.0.1:36001"}, rec.addrs(), "the last list is kept while cut off")
	g.SetDown(false)
	rec.waitAddrs(t, "dubbo://127.0.0.1:36002")
}

// After the session expires every watch is gone: the subscriber re-reads
// and watches again on the new session.
func TestSessionExpiryRewatches(t *testing.T) {
	e := newEnv(t)
	ms, msPort := serveMetadata(t, e.app, e.metadata(e.app, "r1", nil))
	e.mapping(e.app)
	e.instance(e.app, 37001, "r1", msPort)
	g := &zktest.Gate{}
	r := e.open("", WithDialer(g.Dial), WithRetryPeriod(100*time.Millisecond))
	rec := &recorder{}
	require.NoError(t, r.Subscribe(ctx, e.consumer(""), rec))
	require.Equal(t, []string{"dubbo://127.0.0.1:37001"}, rec.addrs())

	expire(t, g)
	e.instance(e.app, 37002, "r1", msPort)
	rec.waitAddrs(t, "dubbo://127.0.0.1:37001", "dubbo://127.0.0.1:37002")
	// Watches armed on the new session see later changes.
	e.instance(e.app, 37003, "r1", msPort)
	rec.waitAddrs(t, "dubbo://127.0.0.1:37001", "dubbo://127.0.0.1:37002", "dubbo://127.0.0.1:37003")
	require.Equal(t, int64(1), ms.calls.Load())
}
