package nacos_test

import (
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/internal/nacos/nacostest"
	"github.com/fleetrpc/fleet/internal/testutil"
	"github.com/fleetrpc/fleet/registry"
	"github.com/fleetrpc/fleet/registry/nacos"
)

// recorder keeps every list notified, for checks on the whole history.
type recorder struct {
	mu    sync.Mutex
	lists [][]string
	c     chan struct{}
}

func newRecorder() *recorder { return &recorder{c: make(chan struct{}, 1)} }

func (r *recorder) Notify(urls []*common.URL) {
	r.mu.Lock()
	r.lists = append(r.lists, addresses(urls))
	r.mu.Unlock()
	select {
	case r.c <- struct{}{}:
	default:
	}
}

func (r *recorder) history() [][]string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([][]string(nil), r.lists...)
}

func (r *recorder) last() string {
	h := r.history()
	if len(h) == 0 {
		return ""
	}
	return strings.Join(h[len(h)-1], ",")
}

// TestServerRestart: the server restarts and forgets every ephemeral
// instance and subscription; the provider registers again, the consumer
// subscribes again, and the consumer's list is never emptied meanwhile.
func TestServerRestart(t *testing.T) {
	p := nacostest.StartPolaris(t)
	ns := nacostest.Unique(t)
	provider := open(t, regURL(p.Addr(), ns, ""))
	consumer := open(t, regURL(p.Addr(), ns, "nacos.empty-grace=20s"))
	require.NoError(t, provider.Register(ctx, providerURL(greeter, 1, "")))
	obs := observer(t, p.Addr(), ns)
	hosts(t, obs, "providers:"+greeter+"::", "127.0.0.1:1")

	rec := newRecorder()
	require.NoError(t, consumer.Subscribe(ctx, consumerURL(greeter, ""), rec))
	require.Equal(t, "127.0.0.1:1", rec.last())

	p.Restart()

	// Registered again after the restart, by the provider's client.
	hosts(t, obs, "providers:"+greeter+"::", "127.0.0.1:1")
	// Subscribed again: a provider that registers after the restart is
	// pushed to the consumer.
	late := open(t, regURL(p.Addr(), ns, ""))
	require.NoError(t, late.Register(ctx, providerURL(greeter, 2, "")))
	require.Eventually(t, func() bool { return rec.last() == "127.0.0.1:1,127.0.0.1:2" },
		2*testutil.DefaultTimeout, 50*time.Millisecond, "history %v", rec.history())
	for _, l := range rec.history() {
		require.NotEqual(t, []string{"empty:providers"}, l, "the list was emptied: %v", rec.history())
	}

	// A real departure after the grace of the reconnection is delivered.
	require.NoError(t, late.Unregister(ctx, providerURL(greeter, 2, "")))
	require.Eventually(t, func() bool { return rec.last() == "127.0.0.1:1" }, 2*testutil.DefaultTimeout, 50*time.Millisecond)
}

// TestEmptyAfterGrace: a list that is empty after a reconnection, and
// stays empty, is delivered when the grace ends.
func TestEmptyAfterGrace(t *testing.T) {
	p := nacostest.StartPolaris(t)
	ns := nacostest.Unique(t)
	provider, err := nacos.New(regURL(p.Addr(), ns, ""))
	require.NoError(t, err)
	defer provider.Close()
	consumer := open(t, regURL(p.Addr(), ns, "nacos.empty-grace=1500ms"))
	require.NoError(t, provider.Register(ctx, providerURL(greeter, 1, "")))
	hosts(t, observer(t, p.Addr(), ns), "providers:"+greeter+"::", "127.0.0.1:1")
	rec := newRecorder()
	require.NoError(t, consumer.Subscribe(ctx, consumerURL(greeter, ""), rec))
	require.Equal(t, "127.0.0.1:1", rec.last())

	require.NoError(t, provider.Close()) // the provider is gone for good
	p.Restart()
	require.Eventually(t, func() bool { return rec.last() == "empty:providers" },
		3*testutil.DefaultTimeout, 50*time.Millisecond, "history %v", rec.history())
}

// TestServerDownAtStart: with the server down, Subscribe delivers the
// disk snapshot's lists and is retried; once the server is up the live
// list follows.
func TestServerDownAtStart(t *testing.T) {
	p := nacostest.StartPolaris(t)
	ns := nacostest.Unique(t)
	file := filepath.Join(t.TempDir(), "registry.cache")
	u := regURL(p.Addr(), ns, "timeout=3000&retry.period=300ms&file="+file)
	sub := consumerURL(greeter, "")

	// A first run records the list in the snapshot.
	provider := open(t, regURL(p.Addr(), ns, ""))
	require.NoError(t, provider.Register(ctx, providerURL(greeter, 1, "")))
	hosts(t, observer(t, p.Addr(), ns), "providers:"+greeter+"::", "127.0.0.1:1")
	first, err := registry.Open(u)
	require.NoError(t, err)
	l := testutil.NewListener(8)
	require.NoError(t, first.Subscribe(ctx, sub, l))
	require.Equal(t, []string{"127.0.0.1:1"}, addresses(l.Next(t)))
	require.NoError(t, first.Close())

	p.Stop()
	second, err := registry.Open(u)
	require.NoError(t, err)
	defer second.Close()
	l2 := testutil.NewListener(8)
	require.NoError(t, second.Subscribe(ctx, sub, l2))
	require.Equal(t, []string{"127.0.0.1:1"}, addresses(l2.Next(t)), "the snapshot's list")
	require.Positive(t, second.(*registry.FailbackRegistry).Pending())

	// The server comes back; the first provider's client registers again,
	// a new one registers; the retried subscription delivers both.
	p.Start()
	late := open(t, regURL(p.Addr(), ns, ""))
	require.NoError(t, late.Register(ctx, providerURL(greeter, 2, "")))
	waitFor(t, l2, "127.0.0.1:1", "127.0.0.1:2")
	require.Eventually(t, func() bool { return second.(*registry.FailbackRegistry).Pending() == 0 },
		testutil.DefaultTimeout, 50*time.Millisecond)
}
