package zookeeper_test

import (
	"fmt"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/internal/testutil"
	"github.com/fleetrpc/fleet/registry/zookeeper"
)

// orderedProviders are providers of svc in the order every registry lists
// them: by host (as text), port, then parameters.
func orderedProviders() []*common.URL {
	p := func(addr, extra string) *common.URL {
		return common.MustParse(fmt.Sprintf("dubbo://%s/%s?interface=%s&side=provider&application=p%s", addr, svc, svc, extra))
	}
	return []*common.URL{
		p("10.0.0.1:20880", "&timeout=1000"),
		p("10.0.0.1:20880", "&timeout=2000"),
		p("10.0.0.1:20881", ""),
		p("10.0.0.10:9", ""),
		p("10.0.0.2:1", "&weight=50"),
		p("10.0.0.2:1", "&weight=50&zone=b"),
	}
}

// untilSame reads l's notifications until one lists the URLs of want, in
// any order, and returns it.
func untilSame(t *testing.T, l *testutil.Listener, want []string) []string {
	t.Helper()
	set := slices.Sorted(slices.Values(want))
	for range 50 {
		got := testutil.Strings(l.Next(t))
		if slices.Equal(slices.Sorted(slices.Values(got)), set) {
			return got
		}
	}
	t.Fatalf("no list of %v", want)
	return nil
}

// TestListOrderSameInEveryRegistry: two registries (as two processes
// would), whose category nodes got the same providers in different orders
// and histories, list them in the same order, the one the URLs give; and
// a registry opened anew on the same nodes lists that order too.
func TestListOrderSameInEveryRegistry(t *testing.T) {
	want := testutil.Strings(orderedProviders())
	sub := common.MustParse("consumer://127.0.0.1/" + svc + "?interface=" + svc + "&application=c&side=consumer&category=providers")

	// a: every provider written before subscribing, in the order listed.
	groupA := root(t)
	provA := open(t, registryURL(t, groupA, ""))
	for _, u := range orderedProviders() {
		require.NoError(t, provA.Register(ctx, u))
	}
	a, err := zookeeper.New(registryURL(t, groupA, ""))
	require.NoError(t, err)
	la := testutil.NewListener(20)
	require.NoError(t, a.Subscribe(ctx, sub, la))
	gotA := untilSame(t, la, want)
	require.Equal(t, want, gotA)

	// b: subscribed first, providers added one by one in reverse, with one
	// joining and leaving on the way.
	groupB := root(t)
	provB := open(t, registryURL(t, groupB, ""))
	b := open(t, registryURL(t, groupB, ""))
	lb := testutil.NewListener(50)
	require.NoError(t, b.Subscribe(ctx, sub, lb))
	extra := common.MustParse(fmt.Sprintf("dubbo://10.0.0.3:1/%s?interface=%s&side=provider&application=p", svc, svc))
	rev := slices.Clone(orderedProviders())
	slices.Reverse(rev)
	for i, u := range rev {
		require.NoError(t, provB.Register(ctx, u))
		if i == 2 {
			require.NoError(t, provB.Register(ctx, extra))
		}
	}
	require.NoError(t, provB.Unregister(ctx, extra))
	require.Equal(t, want, untilSame(t, lb, want), "the same order in another registry")

	// a again, after a restart.
	require.NoError(t, a.Close())
	a2 := open(t, registryURL(t, groupA, ""))
	la2 := testutil.NewListener(20)
	require.NoError(t, a2.Subscribe(ctx, sub, la2))
	require.Equal(t, want, untilSame(t, la2, want), "the same order after a restart")
}
