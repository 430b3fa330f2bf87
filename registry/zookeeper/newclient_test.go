package zookeeper_test

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/stretchr/testify/require"

	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/internal/testutil"
	"github.com/fleetrpc/fleet/internal/zktest"
	"github.com/fleetrpc/fleet/registry"
	"github.com/fleetrpc/fleet/registry/zookeeper"
)

// newClients is a slog.Handler counting the registry's "starting a new
// client" lines; every other record is dropped.
type newClients struct {
	mu      sync.Mutex
	n       int
	started chan struct{} // closed at the first one
}

func countNewClients() *newClients { return &newClients{started: make(chan struct{})} }

func (h *newClients) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelInfo }

func (h *newClients) Handle(_ context.Context, rec slog.Record) error {
	if rec.Message != zookeeper.NewClientMsg {
		return nil
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.n++; h.n == 1 {
		close(h.started)
	}
	return nil
}

func (h *newClients) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *newClients) WithGroup(string) slog.Handler      { return h }

func (h *newClients) count() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.n
}

// observe is a plain client of the ZooKeeper at addr, with a session,
// closed at cleanup.
func observe(t *testing.T, addr string) *zk.Conn {
	t.Helper()
	c, events, err := zk.Connect([]string{addr}, 4*time.Second, zk.WithLogInfo(false), zk.WithLogger(quiet{}))
	require.NoError(t, err)
	t.Cleanup(func() {
		c.Close()
		for range events {
		}
	})
	waitState(t, events, zk.StateHasSession)
	return c
}

// owner is the session owning the ephemeral node p, 0 when p is missing or
// unreadable.
func owner(c *zk.Conn, p string) int64 {
	ok, st, err := c.Exists(p)
	if err != nil || !ok {
		return 0
	}
	return st.EphemeralOwner
}

// TestServerRestartEmpty: a ZooKeeper that restarts on its data keeps the
// registries' sessions (no new client); one that comes back with no data
// refuses the clients, which saw later transactions, so after the session
// timeout each registry starts a new client: the provider's node is created
// again, the consumer re-reads its lists (a node that did not come back is
// removed) and watches them on the new server.
//
// Both watch modes: with persistent watches the consumer's main session
// reads nothing (its lists are read on the watch session), so it may have
// seen no transaction the empty server lacks: the server then ends it as
// expired instead of refusing it, and the registry takes the new session
// as after an expiry rather than starting a new client.
func TestServerRestartEmpty(t *testing.T) {
	zktest.Addr(t) // the ZooKeeper tests' switch
	for _, persistent := range []bool{true, false} {
		t.Run(fmt.Sprintf("persistent.watch=%v", persistent), func(t *testing.T) { serverRestartEmpty(t, persistent) })
	}
}

func serverRestartEmpty(t *testing.T, persistent bool) {
	z := zktest.StartServer(t)
	const session = 6 * time.Second // longer than the server's restart
	group := root(t)
	u := common.MustParse(fmt.Sprintf("zookeeper://%s?group=%s&session=6000&timeout=3000&persistent.watch=%v", z.Addr(), group, persistent))
	provNew, consNew := countNewClients(), countNewClients()
	prov := open(t, u, zookeeper.WithLogger(slog.New(provNew)))
	cons := open(t, u, zookeeper.WithLogger(slog.New(consNew)))
	silent := slog.New(slog.DiscardHandler)
	lateInner, err := zookeeper.New(common.MustParse(u.String()+"&check=false&retry.period=100&file.cache=false"), zookeeper.WithLogger(silent))
	require.NoError(t, err)
	late := registry.NewFailback(lateInner, registry.WithLogger(silent)) // registers during the switch
	t.Cleanup(func() { require.NoError(t, late.Close()) })
	require.NoError(t, late.Register(ctx, provider(9, "")), "a session before the restart")
	obs := observe(t, z.Addr())

	// Transactions enough that the lists' zxids on this server are above
	// any the empty one reaches in this test: its lists must not be taken
	// for older ones.
	scratch := "/" + group + "-scratch"
	_, err = obs.Create(scratch, nil, 0, zk.WorldACL(zk.PermAll))
	require.NoError(t, err)
	for i := 0; i < 200; i++ {
		_, err := obs.Set(scratch, []byte{byte(i)}, -1)
		require.NoError(t, err)
	}

	p, other, stale, during := provider(1, ""), provider(2, ""), provider(3, ""), provider(4, "")
	providers := "/" + group + "/" + svc + "/providers/"
	require.NoError(t, prov.Register(ctx, p))
	_, err = obs.Create(providers+stale.Encoded(), []byte("127.0.0.1"), 0, zk.WorldACL(zk.PermAll))
	require.NoError(t, err)
	require.NoError(t, late.Unregister(ctx, provider(9, "")))
	rec := &recorder{}
	require.NoError(t, cons.Subscribe(ctx, consumerURL("&category=providers"), rec))
	require.ElementsMatch(t, []string{p.String(), stale.String()}, rec.last("providers"))
	sid := owner(obs, providers+p.Encoded())
	require.NotZero(t, sid)

	// On its data: the same sessions come back.
	z.Restart()
	require.Eventually(t, func() bool { return prov.Stats().Connected && cons.Stats().Connected },
		testutil.DefaultTimeout, tick, "both registries reconnect")
	require.Eventually(t, func() bool { return owner(obs, providers+p.Encoded()) != 0 }, testutil.DefaultTimeout, tick)
	require.Equal(t, sid, owner(obs, providers+p.Encoded()), "the provider's node is still of its session")
	require.Zero(t, provNew.count(), "no new client after a restart on the same data")
	require.Zero(t, consNew.count())
	require.Zero(t, prov.Stats().SessionExpiries)
	require.Zero(t, cons.Stats().SessionExpiries)

	// With no data: new clients, new sessions, the tree written again.
	z.RestartEmpty()
	back := time.Now()
	require.NoError(t, late.Register(short(t), during), "refused now: queued and retried by the failback")
	obs = observe(t, z.Addr()) // the old one is refused too
	bound := session + 10*time.Second
	require.Eventually(t, func() bool { return owner(obs, providers+p.Encoded()) != 0 }, bound, tick,
		"the provider's node is created again on the empty server")
	t.Logf("provider's node back %v after the empty server answered (session %v)", time.Since(back).Round(time.Millisecond), session)
	require.NotEqual(t, sid, owner(obs, providers+p.Encoded()))
	require.Eventually(t, func() bool { return cons.Stats().Connected }, bound, tick, "the consumer has a session again")
	_, err = obs.Create(providers+other.Encoded(), []byte("127.0.0.1"), zk.FlagEphemeral, zk.WorldACL(zk.PermAll))
	require.NoError(t, err)
	want := []string{p.String(), other.String(), during.String()}
	sortStrings(want)
	require.Eventually(t, func() bool {
		got := rec.last("providers")
		sortStrings(got)
		return slices.Equal(want, got)
	}, bound, tick, "the consumer watches the new server; the node that did not come back is gone")
	require.Zero(t, late.Pending())
	require.Equal(t, 1, provNew.count(), "one new client each")
	if persistent {
		require.LessOrEqual(t, consNew.count(), 1)
	} else {
		require.Equal(t, 1, consNew.count())
	}
	require.Equal(t, uint64(1), prov.Stats().SessionExpiries)
	require.Equal(t, uint64(1), cons.Stats().SessionExpiries)
}

// TestServerDownKeepsClient: a server only down for longer than the
// session timeout keeps the client (its session may come back with the
// server's data); operations fail with ErrNotConnected meanwhile, for the
// failback to retry. Then the server comes back with no data; Close right
// as the client is replaced returns promptly with every client's goroutines
// stopped (goleak, TestMain).
func TestServerDownKeepsClient(t *testing.T) {
	zktest.Addr(t)
	z := zktest.StartServer(t)
	const session = time.Second
	u := common.MustParse("zookeeper://" + z.Addr() + "?group=" + root(t) + "&session=1000&timeout=3000")
	h := countNewClients()
	r := open(t, u, zookeeper.WithLogger(slog.New(h)))
	require.NoError(t, r.Register(ctx, provider(1, "")))

	z.Stop()
	require.Eventually(t, func() bool { return !r.Stats().Connected }, testutil.DefaultTimeout, tick)
	c, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel()
	require.ErrorIs(t, r.Register(c, provider(2, "")), zookeeper.ErrNotConnected)
	require.Never(t, func() bool { return h.count() > 0 }, 3*session, tick, "no new client while the server is down")
	z.Start()
	require.Eventually(t, func() bool { return r.Stats().Connected }, testutil.DefaultTimeout, tick)
	require.Zero(t, h.count(), "no new client for a server back on its data")
	// A write in the session now up: the client has seen a zxid the empty
	// server below lacks, so that server refuses the session (a slow start
	// can expire the old session above; go-zookeeper then starts a new one
	// with no zxid seen, which an empty server would simply accept).
	require.NoError(t, r.Register(ctx, provider(3, "")))

	z.RestartEmpty()
	select {
	case <-h.started:
	case <-time.After(session + testutil.DefaultTimeout):
		t.Fatal("no new client for the server back with no data")
	}
	closed := make(chan error, 1)
	go func() { closed <- r.Close() }()
	select {
	case err := <-closed:
		require.NoError(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("Close did not return")
	}
	require.ErrorIs(t, r.Register(ctx, provider(2, "")), zookeeper.ErrClosed)
}
