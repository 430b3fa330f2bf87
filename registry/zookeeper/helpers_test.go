package zookeeper_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/stretchr/testify/require"

	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/internal/testutil"
	"github.com/fleetrpc/fleet/internal/zktest"
	"github.com/fleetrpc/fleet/registry/zookeeper"
)

// zkAddr is the ZooKeeper the tests use: zktest.Addr.
func zkAddr(t *testing.T) string {
	t.Helper()
	return zktest.Addr(t)
}

var ctx = context.Background()

// root returns a fresh root node name for one test, so tests sharing the
// ensemble do not see each other.
func root(t *testing.T) string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	name := strings.NewReplacer("/", "-", " ", "-").Replace(t.Name())
	return "fleet-test-" + name + "-" + hex.EncodeToString(b[:])
}

// registryURL is zookeeper://FLEET_ZK?group=<root>&… with extra params.
func registryURL(t *testing.T, group, extra string) *common.URL {
	return common.MustParse(fmt.Sprintf("zookeeper://%s?group=%s&session=8000&timeout=3000%s", zkAddr(t), group, extra))
}

// open returns a bare registry closed at cleanup.
func open(t *testing.T, u *common.URL, opts ...zookeeper.Option) *zookeeper.Registry {
	t.Helper()
	r, err := zookeeper.New(u, opts...)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, r.Close()) })
	return r
}

// observer is a plain ZooKeeper client for looking at the tree.
func observer(t *testing.T) *zk.Conn {
	t.Helper()
	c, events, err := zk.Connect([]string{zkAddr(t)}, 4*time.Second, zk.WithLogInfo(false), zk.WithLogger(quiet{}))
	require.NoError(t, err)
	t.Cleanup(func() {
		c.Close()
		for range events { // wait for the client's goroutines
		}
	})
	waitState(t, events, zk.StateHasSession)
	return c
}

func waitState(t *testing.T, events <-chan zk.Event, want zk.State) {
	t.Helper()
	timeout := time.After(testutil.DefaultTimeout)
	for {
		select {
		case ev := <-events:
			if ev.State == want {
				return
			}
		case <-timeout:
			t.Fatalf("no %v within %v", want, testutil.DefaultTimeout)
		}
	}
}

type quiet struct{}

func (quiet) Printf(string, ...any) {}

// tree lists every path under p, depth first, children sorted, p first.
func tree(t *testing.T, c *zk.Conn, p string) []string {
	t.Helper()
	out := []string{p}
	children, _, err := c.Children(p)
	require.NoError(t, err, p)
	sortStrings(children)
	for _, ch := range children {
		out = append(out, tree(t, c, p+"/"+ch)...)
	}
	return out
}

func sortStrings(s []string) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

// gates cut a registry off ZooKeeper: Gate its main session (whose
// session expire ends), watch its watch session (persistent watches),
// each on a dialer of its own so that Gate sees the main session only.
type gates struct {
	zktest.Gate
	watch zktest.Gate
}

// dialers are the registry's options dialling through g, and more.
func (g *gates) dialers(more ...zookeeper.Option) []zookeeper.Option {
	return append([]zookeeper.Option{zookeeper.WithDialer(g.Dial), zookeeper.WithWatchDialer(g.watch.Dial)}, more...)
}

// SetDown cuts (true) or restores (false) both sessions' way to ZooKeeper.
func (g *gates) SetDown(down bool) {
	g.Gate.SetDown(down)
	g.watch.SetDown(down)
}

// expire ends the main session g last saw, as ZooKeeper's timeout would,
// and returns its id.
func expire(t *testing.T, g *gates) int64 {
	t.Helper()
	sid, err := g.Expire(zkAddr(t))
	require.NoError(t, err)
	return sid
}

// categories collects one notification per category.
func categories(t *testing.T, l *testutil.Listener, n int) map[string][]string {
	t.Helper()
	got := map[string][]string{}
	for i := 0; i < n; i++ {
		urls := l.Next(t)
		require.NotEmpty(t, urls)
		c := urls[0].Category()
		_, dup := got[c]
		require.False(t, dup, "category %s notified twice", c)
		got[c] = testutil.Strings(urls)
	}
	return got
}

// recorder keeps every list a listener was notified, for checks that
// watch a whole history (no empty list ever, the last list).
type recorder struct {
	mu    sync.Mutex
	lists [][]*common.URL
}

func (r *recorder) Notify(urls []*common.URL) {
	r.mu.Lock()
	r.lists = append(r.lists, urls)
	r.mu.Unlock()
}

func (r *recorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.lists)
}

// last is the last list notified of a category, as strings.
func (r *recorder) last(category string) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i := len(r.lists) - 1; i >= 0; i-- {
		if r.lists[i][0].Category() == category {
			return testutil.Strings(r.lists[i])
		}
	}
	return nil
}

// sawEmpty reports whether an empty:// list of category was notified at
// or after index from.
func (r *recorder) sawEmpty(category string, from int) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, l := range r.lists[from:] {
		if l[0].Category() == category && l[0].Protocol() == common.EmptyProtocol {
			return true
		}
	}
	return false
}

// inModes runs f with persistent watches on and off; mode is the registry
// URL parameter that selects it, to append to the registry URL.
func inModes(t *testing.T, f func(t *testing.T, mode string)) {
	for _, on := range []bool{true, false} {
		mode := fmt.Sprintf("&%s=%v", zookeeper.PersistentWatchKey, on)
		t.Run(mode[1:], func(t *testing.T) { f(t, mode) })
	}
}
