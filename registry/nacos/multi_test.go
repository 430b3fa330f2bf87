package nacos_test

import (
	"testing"

	"github.com/nacos-group/nacos-sdk-go/v2/model"
	"github.com/stretchr/testify/require"

	"github.com/fleetrpc/fleet/common"
	inacos "github.com/fleetrpc/fleet/internal/nacos"
	"github.com/fleetrpc/fleet/internal/nacos/nacostest"
	"github.com/fleetrpc/fleet/internal/testutil"
)

// TestMultiGroup: group=* and group lists read every compatible service
// name of the Nacos group, merge them into one providers list, and pick up
// names that appear later.
func TestMultiGroup(t *testing.T) {
	addr := nacostest.Addr(t)
	ns := nacostest.Unique(t)
	provider := open(t, regURL(addr, ns, ""))
	consumer := open(t, regURL(addr, ns, "nacos.lookup.interval=300ms"))
	require.NoError(t, provider.Register(ctx, providerURL(greeter, 1, "group=a")))
	require.NoError(t, provider.Register(ctx, providerURL(greeter, 2, "group=b")))
	require.NoError(t, provider.Register(ctx, providerURL(greeter, 3, "group=c&version=2.0.0")))
	obs := observer(t, addr, ns)
	hosts(t, obs, "providers:"+greeter+"::b", "127.0.0.1:2")

	all := testutil.NewListener(16)
	require.NoError(t, consumer.Subscribe(ctx, consumerURL(greeter, "group=*"), all))
	require.Equal(t, []string{"127.0.0.1:1", "127.0.0.1:2"}, addresses(all.Next(t)))

	list := testutil.NewListener(16)
	require.NoError(t, consumer.Subscribe(ctx, consumerURL(greeter, "group=a,d"), list))
	require.Equal(t, []string{"127.0.0.1:1"}, addresses(list.Next(t)))

	// A group that appears later is found by the rescan.
	require.NoError(t, provider.Register(ctx, providerURL(greeter, 4, "group=d")))
	waitFor(t, all, "127.0.0.1:1", "127.0.0.1:2", "127.0.0.1:4")
	waitFor(t, list, "127.0.0.1:1", "127.0.0.1:4")

	// One name leaving does not empty the others.
	require.NoError(t, provider.Unregister(ctx, providerURL(greeter, 1, "group=a")))
	waitFor(t, list, "127.0.0.1:4")
	waitFor(t, all, "127.0.0.1:2", "127.0.0.1:4")

	both := testutil.NewListener(16)
	require.NoError(t, consumer.Subscribe(ctx, consumerURL(greeter, "group=*&version=*"), both))
	require.Equal(t, []string{"127.0.0.1:2", "127.0.0.1:3", "127.0.0.1:4"}, addresses(both.Next(t)))
}

// TestAnyInterface: interface * (a console) gets every service's
// categories, each as its own list.
func TestAnyInterface(t *testing.T) {
	addr := nacostest.Addr(t)
	ns := nacostest.Unique(t)
	r := open(t, regURL(addr, ns, "nacos.lookup.interval=300ms"))
	require.NoError(t, r.Register(ctx, providerURL("org.fleet.A", 1, "")))
	require.NoError(t, r.Register(ctx, providerURL("org.fleet.B", 2, "version=1.0.0")))
	require.NoError(t, r.Register(ctx, common.MustParse("consumer://127.0.0.1/org.fleet.A?interface=org.fleet.A&category=consumers&side=consumer")))
	obs := observer(t, addr, ns)
	hosts(t, obs, "consumers:org.fleet.A::", "127.0.0.1:0")

	sub := common.MustParse("admin://127.0.0.1/*?interface=*&group=*&version=*&classifier=*&category=providers,consumers&enabled=*&check=false")
	l := testutil.NewListener(32)
	require.NoError(t, r.Subscribe(ctx, sub, l))
	got := map[string][]string{}
	for len(got) < 3 {
		urls := l.Next(t)
		got[urls[0].ServiceInterface()+" "+urls[0].Category()] = addresses(urls)
	}
	require.Equal(t, map[string][]string{
		"org.fleet.A providers": {"127.0.0.1:1"},
		"org.fleet.A consumers": {"127.0.0.1"},
		"org.fleet.B providers": {"127.0.0.1:2"},
	}, got)

	lookup, err := r.Lookup(ctx, sub)
	require.NoError(t, err)
	require.Len(t, lookup, 3)

	// A new service is found by the rescan.
	require.NoError(t, r.Register(ctx, providerURL("org.fleet.C", 3, "")))
	for {
		urls := l.Next(t)
		if urls[0].ServiceInterface() == "org.fleet.C" && urls[0].Protocol() != common.EmptyProtocol {
			require.Equal(t, []string{"127.0.0.1:3"}, addresses(urls))
			break
		}
	}
}

// TestLegacyNameMerged: with the legacy name subscribed, instances under
// both names are merged, and a push for one name keeps the other's.
func TestLegacyNameMerged(t *testing.T) {
	addr := nacostest.Addr(t)
	ns := nacostest.Unique(t)
	raw := observer(t, addr, ns)
	consumer := open(t, regURL(addr, ns, "nacos.subscribe.legacy-name=true"))
	md := map[string]string{"category": "providers", "protocol": "dubbo", "path": greeter, "interface": greeter, "version": "1.0.0"}
	require.NoError(t, raw.Register(ctx, "providers:"+greeter+":1.0.0", inacos.DefaultGroup,
		model.Instance{Ip: "127.0.0.1", Port: 1, Weight: 1, Enable: true, Healthy: true, Metadata: md}))
	hosts(t, raw, "providers:"+greeter+":1.0.0", "127.0.0.1:1")

	l := testutil.NewListener(16)
	require.NoError(t, consumer.Subscribe(ctx, consumerURL(greeter, "version=1.0.0"), l))
	require.Equal(t, []string{"127.0.0.1:1"}, addresses(l.Next(t)))

	p := open(t, regURL(addr, ns, ""))
	require.NoError(t, p.Register(ctx, providerURL(greeter, 2, "version=1.0.0")))
	waitFor(t, l, "127.0.0.1:1", "127.0.0.1:2")
	require.NoError(t, p.Unregister(ctx, providerURL(greeter, 2, "version=1.0.0")))
	waitFor(t, l, "127.0.0.1:1")
	require.NoError(t, raw.Deregister(ctx, "providers:"+greeter+":1.0.0", inacos.DefaultGroup, "127.0.0.1", 1))
	waitFor(t, l, "empty:providers")
}
