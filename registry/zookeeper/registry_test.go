package zookeeper_test

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/internal/testutil"
	"github.com/fleetrpc/fleet/registry"
	"github.com/fleetrpc/fleet/registry/zookeeper"
)

const svc = "org.apache.dubbo.demo.DemoService"

func provider(port int, extra string) *common.URL {
	return common.MustParse(fmt.Sprintf("dubbo://127.0.0.1:%d/%s?interface=%s&side=provider&application=p%s", port, svc, svc, extra))
}

func consumerURL(extra string) *common.URL {
	return common.MustParse("consumer://127.0.0.1/" + svc + "?interface=" + svc + "&application=c&side=consumer&category=providers,configurators,routers" + extra)
}

func TestSubscribeNotifiesFullListsPerCategory(t *testing.T) {
	inModes(t, testSubscribeNotifiesFullListsPerCategory)
}

func testSubscribeNotifiesFullListsPerCategory(t *testing.T, mode string) {
	group := root(t)
	prov := open(t, registryURL(t, group, mode+""))
	cons := open(t, registryURL(t, group, mode+""))
	p1, p2 := provider(1, ""), provider(2, "")
	require.NoError(t, prov.Register(ctx, p1))

	l := testutil.NewListener(20)
	c := consumerURL("")
	require.NoError(t, cons.Subscribe(ctx, c, l))
	require.Len(t, l.C, 3, "every category is notified before Subscribe returns")
	got := categories(t, l, 3)
	require.Equal(t, []string{p1.String()}, got["providers"])
	require.Equal(t, []string{emptyOf(c, "configurators")}, got["configurators"])
	require.Equal(t, []string{emptyOf(c, "routers")}, got["routers"])

	require.NoError(t, prov.Register(ctx, p2))
	require.Equal(t, []string{p1.String(), p2.String()}, testutil.Strings(l.Next(t)), "the full list")
	require.NoError(t, prov.Register(ctx, p2), "registering twice keeps one node")
	l.None(t)

	require.NoError(t, prov.Unregister(ctx, p1))
	require.Equal(t, []string{p2.String()}, testutil.Strings(l.Next(t)))
	require.NoError(t, prov.Unregister(ctx, p2))
	require.Equal(t, []string{emptyOf(c, "providers")}, testutil.Strings(l.Next(t)))

	override := common.MustParse("override://0.0.0.0/" + svc + "?category=configurators&timeout=5000&interface=" + svc)
	route := common.MustParse("route://0.0.0.0/" + svc + "?category=routers&router=condition&interface=" + svc + "&rule=" + common.Encode("=> host = 1.1.1.1"))
	require.NoError(t, prov.Register(ctx, override))
	require.Equal(t, []string{override.String()}, testutil.Strings(l.Next(t)))
	require.NoError(t, prov.Register(ctx, route))
	require.Equal(t, []string{route.String()}, testutil.Strings(l.Next(t)))
	require.NoError(t, prov.Unregister(ctx, override))
	require.Equal(t, []string{emptyOf(c, "configurators")}, testutil.Strings(l.Next(t)))

	found, err := cons.Lookup(ctx, c)
	require.NoError(t, err)
	require.Equal(t, []string{route.String()}, testutil.Strings(found), "Lookup has no empty:// URLs")

	require.NoError(t, cons.Unsubscribe(ctx, c, l))
	require.NoError(t, prov.Register(ctx, p1))
	l.None(t)
}

func emptyOf(sub *common.URL, category string) string {
	return sub.WithProtocol("empty").WithParam("category", category).String()
}

func TestMatchingRules(t *testing.T) { inModes(t, testMatchingRules) }

func testMatchingRules(t *testing.T, mode string) {
	tests := []struct {
		name     string
		consumer string
		provider string
		match    bool
	}{
		{"plain", "", "", true},
		{"provider group, consumer none", "", "&group=g1", false},
		{"provider version, consumer none", "", "&version=1.0.0", false},
		{"same group and version", "&group=g1&version=1.0.0", "&group=g1&version=1.0.0", true},
		{"other group", "&group=g2", "&group=g1", false},
		{"group list", "&group=g2,g1", "&group=g1", true},
		{"group any", "&group=*", "&group=g1", true},
		{"other version", "&version=2.0.0", "&version=1.0.0", false},
		{"version any", "&version=*", "&version=1.0.0", true},
		{"disabled provider hidden", "", "&enabled=false", false},
		{"disabled provider seen with enabled=*", "&enabled=*", "&enabled=false", true},
		{"classifier", "&classifier=a", "&classifier=b", false},
	}
	group := root(t)
	prov := open(t, registryURL(t, group, mode+""))
	cons := open(t, registryURL(t, group, mode+""))
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			iface := fmt.Sprintf("org.fleet.Match%d", i)
			p := common.MustParse(fmt.Sprintf("dubbo://127.0.0.1:1/%s?interface=%s%s", iface, iface, tt.provider))
			require.NoError(t, prov.Register(ctx, p))
			c := common.MustParse(fmt.Sprintf("consumer://127.0.0.1/%s?interface=%s&category=providers%s", iface, iface, tt.consumer))
			l := testutil.NewListener(5)
			require.NoError(t, cons.Subscribe(ctx, c, l))
			got := l.Next(t)
			found, err := cons.Lookup(ctx, c)
			require.NoError(t, err)
			if tt.match {
				require.Equal(t, []string{p.String()}, testutil.Strings(got))
				require.Equal(t, []string{p.String()}, testutil.Strings(found))
			} else {
				require.Equal(t, []string{emptyOf(c, "providers")}, testutil.Strings(got))
				require.Empty(t, found)
			}
		})
	}
}

func TestEphemeralAndPersistentNodes(t *testing.T) {
	tests := []struct {
		name      string
		extra     string
		ephemeral bool
		afterStop bool // the node outlives Close
	}{
		{"dynamic by default", "", true, false},
		{"dynamic=true", "&dynamic=true", true, false},
		{"dynamic=false is persistent", "&dynamic=false", false, true},
	}
	obs := observer(t)
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			group := root(t)
			r, err := zookeeper.New(registryURL(t, group, ""))
			require.NoError(t, err)
			u := provider(100+i, tt.extra)
			require.NoError(t, r.Register(ctx, u))
			p := "/" + group + "/" + svc + "/providers/" + u.Encoded()
			_, st, err := obs.Get(p)
			require.NoError(t, err)
			require.Equal(t, tt.ephemeral, st.EphemeralOwner != 0)
			require.NoError(t, r.Close())
			require.NoError(t, r.Close(), "Close is idempotent")
			ok, _, err := obs.Exists(p)
			require.NoError(t, err)
			require.Equal(t, tt.afterStop, ok)
			require.ErrorIs(t, r.Register(ctx, u), zookeeper.ErrClosed)
		})
	}
}

func TestSubscribeAnyInterface(t *testing.T) { inModes(t, testSubscribeAnyInterface) }

func testSubscribeAnyInterface(t *testing.T, mode string) {
	group := root(t)
	prov := open(t, registryURL(t, group, mode+""))
	a := common.MustParse("dubbo://127.0.0.1:1/org.A?interface=org.A")
	b := common.MustParse("dubbo://127.0.0.1:1/org.B?interface=org.B&group=g&version=1")
	require.NoError(t, prov.Register(ctx, a))

	l := testutil.NewListener(20)
	any := common.MustParse("admin://127.0.0.1/*?interface=*&group=*&version=*&classifier=*&enabled=*&category=providers")
	require.NoError(t, open(t, registryURL(t, group, mode+"")).Subscribe(ctx, any, l))
	require.Equal(t, []string{a.String()}, testutil.Strings(l.Next(t)))
	l.None(t)

	require.NoError(t, prov.Register(ctx, b))
	// The service node appears before its provider node: an empty list
	// may come first, as in Java.
	got := l.Next(t)
	if got[0].Protocol() == common.EmptyProtocol {
		require.Equal(t, "org.B", got[0].ServiceInterface())
		got = l.Next(t)
	}
	require.Equal(t, []string{b.String()}, testutil.Strings(got), "a new service is discovered and notified")
	require.NoError(t, prov.Unregister(ctx, a))
	got = l.Next(t)
	require.Len(t, got, 1)
	require.Equal(t, common.EmptyProtocol, got[0].Protocol())
	require.Equal(t, "org.A", got[0].ServiceInterface(), "the empty URL names the service that emptied")

	found, err := prov.Lookup(ctx, any)
	require.NoError(t, err)
	require.Equal(t, []string{b.String()}, testutil.Strings(found))
}

func TestNewDoesNotBlockAndOperationsFailWithoutZooKeeper(t *testing.T) {
	// A port nothing listens on.
	start := time.Now()
	r, err := zookeeper.New(common.MustParse("zookeeper://127.0.0.1:1?timeout=300"))
	require.NoError(t, err)
	require.Less(t, time.Since(start), time.Second, "New does not wait for the ensemble")
	err = r.Register(ctx, provider(1, ""))
	require.ErrorIs(t, err, zookeeper.ErrNotConnected)
	require.ErrorContains(t, err, "dubbo://127.0.0.1:1/"+svc, "the error names the URL")
	c, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	require.ErrorIs(t, r.Subscribe(c, consumerURL(""), testutil.NewListener(1)), context.DeadlineExceeded)
	start = time.Now()
	require.NoError(t, r.Close())
	require.Less(t, time.Since(start), 5*time.Second, "Close is bounded")
}

func TestRegistryURLValidation(t *testing.T) {
	for _, raw := range []string{"zookeeper://0.0.0.0:2181", "zookeeper://10.0.0.1:2181?anyhost=true", "zookeeper://h:2181?timeout=x", "zookeeper://h:2181?persistent.watch=maybe"} {
		_, err := zookeeper.New(common.MustParse(raw))
		require.Error(t, err, raw)
	}
}

func TestOpenByScheme(t *testing.T) {
	group := root(t)
	r, err := registry.Open(registryURL(t, group, "&file.cache=false"))
	require.NoError(t, err)
	defer r.Close()
	_, ok := r.(*registry.FailbackRegistry)
	require.True(t, ok, "the zookeeper scheme opens a failback registry")
	require.NoError(t, r.Register(ctx, provider(1, "")))
	found, err := r.Lookup(ctx, consumerURL("&category=providers"))
	require.NoError(t, err)
	require.Len(t, found, 1)
}

func TestDigestACL(t *testing.T) { inModes(t, testDigestACL) }

func testDigestACL(t *testing.T, mode string) {
	group := root(t)
	u := common.MustParse(fmt.Sprintf("zookeeper://fleet:secret@%s?group=%s&session=8000%s", zkAddr(t), group, mode))
	r := open(t, u)
	p := provider(1, "")
	require.NoError(t, r.Register(ctx, p))
	l := testutil.NewListener(5)
	require.NoError(t, r.Subscribe(ctx, consumerURL("&category=providers"), l))
	require.Equal(t, []string{p.String()}, testutil.Strings(l.Next(t)))

	obs := observer(t)
	_, _, err := obs.Children("/" + group + "/" + svc + "/providers")
	require.ErrorIs(t, err, zk.ErrNoAuth, "without the credentials the tree is closed")
	require.NoError(t, obs.AddAuth("digest", []byte("fleet:secret")))
	for _, p := range []string{"/" + group, "/" + group + "/" + svc + "/providers", "/" + group + "/" + svc + "/providers/" + p.Encoded()} {
		acl, _, err := obs.GetACL(p)
		require.NoError(t, err)
		require.Equal(t, zk.DigestACL(zk.PermAll, "fleet", "secret"), acl, p)
	}
}

func TestBackupAddresses(t *testing.T) {
	group := root(t)
	// The primary address refuses connections; the backup is the ensemble.
	u := common.MustParse(fmt.Sprintf("zookeeper://127.0.0.1:1?backup=%s&group=%s&session=8000", zkAddr(t), group))
	r := open(t, u)
	require.NoError(t, r.Register(ctx, provider(1, "")))
	found, err := r.Lookup(ctx, consumerURL("&category=providers"))
	require.NoError(t, err)
	require.Len(t, found, 1)
}

// TestRegisterReplacesAnotherSessionsNode: a node left by a previous
// session of the same URL (not yet expired) is replaced, so the node
// belongs to the live session.
func TestRegisterReplacesAnotherSessionsNode(t *testing.T) {
	group := root(t)
	old := open(t, registryURL(t, group, ""))
	p := provider(1, "")
	require.NoError(t, old.Register(ctx, p))
	obs := observer(t)
	path := "/" + group + "/" + svc + "/providers/" + p.Encoded()
	_, before, err := obs.Get(path)
	require.NoError(t, err)

	require.NoError(t, open(t, registryURL(t, group, "")).Register(ctx, p))
	_, after, err := obs.Get(path)
	require.NoError(t, err)
	require.NotEqual(t, before.EphemeralOwner, after.EphemeralOwner)
	require.NotZero(t, after.EphemeralOwner)
}

// overlapListener fails the test when two notifications overlap, and keeps
// the last providers list.
type overlapListener struct {
	t        *testing.T
	inFlight atomic.Int32
	mu       sync.Mutex
	last     []*common.URL
}

func (l *overlapListener) Notify(urls []*common.URL) {
	if l.inFlight.Add(1) != 1 {
		l.t.Error("notifications overlap")
	}
	for i := 0; i < 100; i++ {
		runtime.Gosched() // widen the window an overlap would need
	}
	l.mu.Lock()
	l.last = urls
	l.mu.Unlock()
	l.inFlight.Add(-1)
}

func (l *overlapListener) providers() []*common.URL {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.last
}

// TestConcurrentChangesNoneLost: many providers come and go at once; the
// watch is re-armed with every read, so the last list is the final state,
// notifications never overlap, and unchanged providers keep their URL
// value.
func TestConcurrentChangesNoneLost(t *testing.T) { inModes(t, testConcurrentChangesNoneLost) }

func testConcurrentChangesNoneLost(t *testing.T, mode string) {
	group := root(t)
	l := &overlapListener{t: t}
	cons := open(t, registryURL(t, group, mode+""))
	require.NoError(t, cons.Subscribe(ctx, consumerURL("&category=providers"), l))
	const writers, each = 4, 15
	var wg sync.WaitGroup
	for w := 0; w < writers; w++ {
		r := open(t, registryURL(t, group, mode+""))
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < each; i++ {
				p := provider(1000*w+i, "")
				assert.NoError(t, r.Register(ctx, p))
				if i%3 == 0 {
					assert.NoError(t, r.Unregister(ctx, p))
				}
			}
		}(w)
	}
	wg.Wait()
	want := writers * (each - (each+2)/3)
	require.Eventually(t, func() bool { return len(l.providers()) == want }, testutil.DefaultTimeout, tick)
	first := l.providers()

	extra := provider(9999, "")
	require.NoError(t, cons.Register(ctx, extra))
	require.Eventually(t, func() bool { return len(l.providers()) == want+1 }, testutil.DefaultTimeout, tick)
	same := 0
	for _, u := range l.providers() {
		for _, v := range first {
			if u == v {
				same++
			}
		}
	}
	require.Equal(t, want, same, "unchanged providers keep their *common.URL")
}

// panicky panics on its first notification and records the others.
type panicky struct {
	calls atomic.Int32
	l     *testutil.Listener
}

func (p *panicky) Notify(urls []*common.URL) {
	if p.calls.Add(1) == 1 {
		panic("listener bug")
	}
	p.l.Notify(urls)
}

func TestListenerPanicIsContained(t *testing.T) {
	group := root(t)
	r := open(t, registryURL(t, group, ""))
	l := &panicky{l: testutil.NewListener(5)}
	require.NoError(t, r.Subscribe(ctx, consumerURL("&category=providers"), l), "the panic is logged, not raised")
	p := provider(1, "")
	require.NoError(t, r.Register(ctx, p))
	require.Equal(t, []string{p.String()}, testutil.Strings(l.l.Next(t)), "the next change is delivered")
}
