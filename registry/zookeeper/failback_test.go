package zookeeper_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/fleetrpc/fleet/internal/testutil"
	"github.com/fleetrpc/fleet/registry"
	"github.com/fleetrpc/fleet/registry/zookeeper"
)

// failback opens a ZooKeeper registry behind a gate, wrapped in
// registry.NewFailback, closed at cleanup.
func failback(t *testing.T, g *gates, group, extra string) *registry.FailbackRegistry {
	t.Helper()
	zr, err := zookeeper.New(registryURL(t, group, extra), g.dialers()...)
	require.NoError(t, err)
	f := registry.NewFailback(zr)
	t.Cleanup(func() { require.NoError(t, f.Close()) })
	return f
}

func short(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	t.Cleanup(cancel)
	return c
}

// TestFailbackRetriesWhenZooKeeperComesBack: what fails while ZooKeeper is
// unreachable is retried every retry.period until it succeeds; an
// operation cancelled by the opposite call is not.
func TestFailbackRetriesWhenZooKeeperComesBack(t *testing.T) {
	group := root(t)
	g := &gates{}
	g.SetDown(true)
	f := failback(t, g, group, "&check=false&retry.period=100&file.cache=false")

	p, gone := provider(1, ""), provider(2, "")
	require.NoError(t, f.Register(short(t), p), "a failed register is retried, not returned")
	require.NoError(t, f.Register(short(t), gone))
	require.NoError(t, f.Unregister(short(t), gone), "cancels the register of gone")
	rec := &recorder{}
	c := consumerURL("&category=providers")
	require.NoError(t, f.Subscribe(short(t), c, rec))
	require.Equal(t, 3, f.Pending(), "register p, unregister gone, subscribe")
	require.Zero(t, rec.count())

	g.SetDown(false)
	require.Eventually(t, func() bool { return f.Pending() == 0 }, testutil.DefaultTimeout, tick)
	require.Eventually(t, func() bool {
		got := rec.last("providers")
		return len(got) == 1 && got[0] == p.String()
	}, testutil.DefaultTimeout, tick, "the retried subscription sees the retried registration")
	obs := observer(t)
	ok, _, err := obs.Exists("/" + group + "/" + svc + "/providers/" + gone.Encoded())
	require.NoError(t, err)
	require.False(t, ok, "the cancelled register was not retried")
}

func TestFailbackCheckReturnsStartupFailures(t *testing.T) {
	group := root(t)
	g := &gates{}
	g.SetDown(true)
	f := failback(t, g, group, "&retry.period=100&file.cache=false") // check defaults to true
	require.ErrorIs(t, f.Register(short(t), provider(1, "")), zookeeper.ErrNotConnected)
	require.ErrorIs(t, f.Subscribe(short(t), consumerURL(""), &recorder{}), zookeeper.ErrNotConnected,
		"no snapshot: the failure is returned")
	require.NoError(t, f.Register(short(t), consumerURL("&category=consumers")), "a consumer:// register is retried")
	require.Equal(t, 1, f.Pending())
}

// TestConsumerStartsFromSnapshotWhileZooKeeperIsDown: a consumer that once
// saw the lists starts, with ZooKeeper unreachable, from the disk snapshot;
// when ZooKeeper is back the live lists follow.
func TestConsumerStartsFromSnapshotWhileZooKeeperIsDown(t *testing.T) {
	inModes(t, testConsumerStartsFromSnapshotWhileZooKeeperIsDown)
}

func testConsumerStartsFromSnapshotWhileZooKeeperIsDown(t *testing.T, mode string) {
	group := root(t)
	file := filepath.Join(t.TempDir(), "registry.cache")
	extra := mode + "&retry.period=100&file=" + file
	prov := open(t, registryURL(t, group, ""))
	p1, p2 := provider(1, ""), provider(2, "")
	require.NoError(t, prov.Register(ctx, p1))
	c := consumerURL("")

	first, err := registry.Open(registryURL(t, group, extra))
	require.NoError(t, err)
	l := testutil.NewListener(10)
	require.NoError(t, first.Subscribe(ctx, c, l))
	categories(t, l, 3)
	require.NoError(t, first.Close(), "Close writes the snapshot")
	b, err := os.ReadFile(file)
	require.NoError(t, err)
	require.Contains(t, string(b), p1.FullString())

	g := &gates{}
	g.SetDown(true)
	second := failback(t, g, group, extra)
	l2 := testutil.NewListener(10)
	require.NoError(t, second.Subscribe(short(t), c, l2), "check=true, but the snapshot has lists")
	got := categories(t, l2, 3)
	require.Equal(t, []string{p1.String()}, got["providers"], "providers from the snapshot")
	require.Equal(t, []string{emptyOf(c, "routers")}, got["routers"])
	require.Equal(t, 1, second.Pending(), "the subscription is retried")

	require.NoError(t, prov.Register(ctx, p2))
	g.SetDown(false)
	require.Eventually(t, func() bool {
		select {
		case urls := <-l2.C:
			return len(urls) == 2 && urls[0].Category() == "providers"
		default:
			return false
		}
	}, testutil.DefaultTimeout, tick, "the live list replaces the snapshot's")
	require.Eventually(t, func() bool { return second.Pending() == 0 }, testutil.DefaultTimeout, tick)
}
