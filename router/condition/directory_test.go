package condition_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/directory"
	"github.com/fleetrpc/fleet/protocol"
	"github.com/fleetrpc/fleet/registry"
	"github.com/fleetrpc/fleet/registry/memory"
)

const defaultTestTimeout = 5 * time.Second

// stubProtocol refers every provider URL as a stub invoker.
type stubProtocol struct{}

func (stubProtocol) Refer(u *common.URL) (protocol.Invoker, error) { return &stub{url: u}, nil }
func (stubProtocol) Export(protocol.Invoker) (protocol.Exporter, error) {
	return nil, errors.New("not supported")
}
func (stubProtocol) Destroy() {}

// TestRulesThroughTheDirectory registers route:// rules in the embedded
// registry and watches a RegistryDirectory's List follow them as they
// arrive, change and go.
func TestRulesThroughTheDirectory(t *testing.T) {
	ctx := context.Background()
	const service = "com.foo.BarService"
	store := memory.NewStore()
	provider := store.Registry(common.MustParse("memory://rules"))
	admin := store.Registry(common.MustParse("memory://rules"))
	consumer := store.Registry(common.MustParse("memory://rules"))
	t.Cleanup(func() {
		require.NoError(t, consumer.Close())
		require.NoError(t, admin.Close())
		require.NoError(t, provider.Close())
	})
	for _, p := range []string{"10.0.0.1:20880?env=gray", "10.0.0.2:20880?env=prod", "10.0.0.3:20880?env=prod"} {
		require.NoError(t, provider.Register(ctx, common.MustParse("dubbo://"+p+"&interface="+service+"&side=provider&methods=getFoo,setFoo")))
	}

	consumerURL := common.MustParse("consumer://10.0.0.9/" + service + "?interface=" + service + "&side=consumer&application=foo")
	d, err := directory.NewRegistry(consumerURL,
		directory.WithProtocol("dubbo", stubProtocol{}),
		directory.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	require.NoError(t, err)
	t.Cleanup(d.Destroy)
	notified := make(chan struct{}, 1)
	listener := registry.NotifyFunc(func(urls []*common.URL) {
		d.Notify(urls)
		select {
		case notified <- struct{}{}:
		default: // a signal is pending already; waitFor re-reads the state
		}
	})
	require.NoError(t, consumer.Subscribe(ctx, consumerURL.WithParam(common.CategoryKey, "providers,configurators,routers"), &listener))

	list := func(inv protocol.Invocation) []string {
		got, err := d.List(ctx, inv)
		require.NoError(t, err)
		return hosts(got)
	}
	// waitFor waits, notification by notification, until List(inv) is want.
	waitFor := func(inv protocol.Invocation, want ...string) {
		t.Helper()
		deadline := time.After(defaultTestTimeout)
		for {
			if got := list(inv); slices.Equal(got, want) {
				return
			}
			select {
			case <-notified:
			case <-deadline:
				require.Equal(t, want, list(inv), "after %v", defaultTestTimeout)
				return
			}
		}
	}
	rule := func(r, extra string) *common.URL {
		s := "route://0.0.0.0/" + service + "?category=routers&router=condition&dynamic=false&rule=" + common.Encode(r)
		if extra != "" {
			s += "&" + extra
		}
		return common.MustParse(s)
	}
	getFoo, setFoo := protocol.NewInvocation("getFoo"), protocol.NewInvocation("setFoo")
	a, b, c := "10.0.0.1:20880", "10.0.0.2:20880", "10.0.0.3:20880"
	waitFor(getFoo, a, b, c)

	// A rule arrives.
	toProd := rule("application = foo => env = prod", "priority=1")
	require.NoError(t, admin.Register(ctx, toProd))
	waitFor(getFoo, b, c)
	waitFor(setFoo, b, c)

	// A method rule arrives; it runs first (lower priority).
	getFooToA := rule("method = getFoo => host = 10.0.0.1", "priority=0")
	require.NoError(t, admin.Register(ctx, getFooToA))
	waitFor(getFoo, a) // then env = prod matches none: not forced, unchanged
	waitFor(setFoo, b, c)

	// An invalid rule is skipped; the others stay.
	require.NoError(t, admin.Register(ctx, rule("host == 1", "")))
	require.NoError(t, admin.Register(ctx, rule("=> host = 10.0.0.3", "priority=-5&enabled=false")))
	waitFor(getFoo, a)
	waitFor(setFoo, b, c)

	// A forced rule that matches none empties the list.
	blackhole := rule("method = setFoo => host = 9.9.9.9", "force=true&priority=2")
	require.NoError(t, admin.Register(ctx, blackhole))
	waitFor(setFoo)
	waitFor(getFoo, a)

	// Rules are removed.
	require.NoError(t, admin.Unregister(ctx, blackhole))
	waitFor(setFoo, b, c)
	require.NoError(t, admin.Unregister(ctx, getFooToA))
	waitFor(getFoo, b, c)

	// A provider arrives while a rule is in force.
	require.NoError(t, provider.Register(ctx, common.MustParse("dubbo://10.0.0.4:20880?env=prod&interface="+service+"&side=provider&methods=getFoo,setFoo")))
	waitFor(getFoo, b, c, "10.0.0.4:20880")

	// The admin session ends: every rule goes (the routers category is
	// notified as empty://).
	require.NoError(t, admin.Close())
	waitFor(getFoo, a, b, c, "10.0.0.4:20880")
	require.NoError(t, consumer.Unsubscribe(ctx, consumerURL.WithParam(common.CategoryKey, "providers,configurators,routers"), &listener))
}
