package nacos_test

import (
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/nacos-group/nacos-sdk-go/v2/model"
	"github.com/stretchr/testify/require"

	"github.com/fleetrpc/fleet/common"
	inacos "github.com/fleetrpc/fleet/internal/nacos"
	"github.com/fleetrpc/fleet/internal/nacos/nacostest"
	"github.com/fleetrpc/fleet/internal/testutil"
	"github.com/fleetrpc/fleet/registry"
	"github.com/fleetrpc/fleet/registry/nacos"
)

const greeter = "org.fleet.demo.Greeter"

func TestRegisterSubscribeUnregister(t *testing.T) {
	addr := nacostest.Addr(t)
	ns := nacostest.Unique(t)
	provider := open(t, regURL(addr, ns, ""))
	consumer := open(t, regURL(addr, ns, ""))
	obs := observer(t, addr, ns)

	p1 := providerURL(greeter, 20880, "version=1.0.0&group=g&weight=5&timeout=3000")
	require.NoError(t, provider.Register(ctx, p1))

	// Java's layout: the service name and the metadata as stored.
	insts := hosts(t, obs, "providers:"+greeter+":1.0.0:g", "127.0.0.1:20880")
	md := insts[0].Metadata
	require.Equal(t, "providers", md["category"])
	require.Equal(t, "dubbo", md["protocol"])
	require.Equal(t, greeter, md["path"])
	require.Equal(t, greeter, md["interface"])
	require.Equal(t, "1.0.0", md["version"])
	require.Equal(t, "g", md["group"])
	require.Equal(t, "3000", md["timeout"])
	require.Equal(t, 5.0, insts[0].Weight)
	require.True(t, insts[0].Ephemeral)

	l := testutil.NewListener(16)
	sub := consumerURL(greeter, "version=1.0.0&group=g")
	require.NoError(t, consumer.Subscribe(ctx, sub, l))
	// The first list arrived before Subscribe returned.
	var first []*common.URL
	select {
	case first = <-l.C:
	default:
		t.Fatal("no list before Subscribe returned")
	}
	require.Equal(t, []string{"127.0.0.1:20880"}, addresses(first))
	u := first[0]
	require.Equal(t, "dubbo", u.Protocol())
	require.Equal(t, greeter, u.Path())
	require.Equal(t, "p", u.ParamOr("application", ""))
	require.Equal(t, "providers", u.Category())
	require.Equal(t, "1.0.0", u.Version())
	u.RangeParams(func(k, v string) bool {
		require.NotContains(t, k, "internal-nacos-", "server-internal key kept")
		require.NotEmpty(t, v, k)
		return true
	})

	// Another version and group are not this subscription's.
	require.NoError(t, provider.Register(ctx, providerURL(greeter, 20881, "version=2.0.0&group=g")))
	require.NoError(t, provider.Register(ctx, providerURL(greeter, 20882, "version=1.0.0&group=g")))
	waitFor(t, l, "127.0.0.1:20880", "127.0.0.1:20882")

	lookup, err := consumer.Lookup(ctx, sub)
	require.NoError(t, err)
	require.Equal(t, []string{"127.0.0.1:20880", "127.0.0.1:20882"}, addresses(lookup))

	require.NoError(t, provider.Unregister(ctx, p1))
	waitFor(t, l, "127.0.0.1:20882")
	require.NoError(t, provider.Unregister(ctx, providerURL(greeter, 20882, "version=1.0.0&group=g")))
	empty := waitFor(t, l, "empty:providers")
	require.Equal(t, sub.WithProtocol("empty").WithParam("category", "providers").FullString(), empty[0].FullString())

	// Unsubscribed: nothing more arrives.
	require.NoError(t, consumer.Unsubscribe(ctx, sub, l))
	require.NoError(t, provider.Register(ctx, p1))
	hosts(t, obs, "providers:"+greeter+":1.0.0:g", "127.0.0.1:20880")
	select {
	case urls := <-l.C:
		t.Fatalf("notified after Unsubscribe: %v", urls)
	case <-timeAfterPoll():
	}
}

func TestConsumerRegistered(t *testing.T) {
	addr := nacostest.Addr(t)
	ns := nacostest.Unique(t)
	r := open(t, regURL(addr, ns, ""))
	obs := observer(t, addr, ns)
	c := common.MustParse("consumer://127.0.0.1/" + greeter + "?application=c&category=consumers&check=false&interface=" + greeter + "&side=consumer")
	require.NoError(t, r.Register(ctx, c))
	insts := hosts(t, obs, "consumers:"+greeter+"::", "127.0.0.1:0")
	require.Equal(t, "consumer", insts[0].Metadata["protocol"])
	require.Equal(t, "consumers", insts[0].Metadata["category"])

	// fleet ls style: the consumers category of a service.
	l := testutil.NewListener(4)
	require.NoError(t, r.Subscribe(ctx, consumerURL(greeter, "").WithParam("category", "consumers"), l))
	urls := l.Next(t)
	require.Len(t, urls, 1)
	require.Equal(t, "consumer", urls[0].Protocol())
	require.Equal(t, "consumers", urls[0].Category())
}

func TestCloseUnregisters(t *testing.T) {
	addr := nacostest.Addr(t)
	ns := nacostest.Unique(t)
	obs := observer(t, addr, ns)
	r, err := nacos.New(regURL(addr, ns, ""))
	require.NoError(t, err)
	require.NoError(t, r.Register(ctx, providerURL(greeter, 20880, "")))
	hosts(t, obs, "providers:"+greeter+"::", "127.0.0.1:20880")
	require.NoError(t, r.Close())
	require.NoError(t, r.Close())
	hosts(t, obs, "providers:"+greeter+"::")
	require.ErrorIs(t, r.Register(ctx, providerURL(greeter, 1, "")), nacos.ErrClosed)
	require.ErrorIs(t, r.Subscribe(ctx, consumerURL(greeter, ""), testutil.NewListener(1)), nacos.ErrClosed)
}

// TestForeignInstances: instances written by dubbo-go and by hand are
// rebuilt as Java rebuilds them; disabled, unhealthy and non-matching ones
// are dropped.
func TestForeignInstances(t *testing.T) {
	addr := nacostest.Addr(t)
	ns := nacostest.Unique(t)
	raw := observer(t, addr, ns)
	consumer := open(t, regURL(addr, ns, ""))
	name := "providers:" + greeter + "::"
	l := testutil.NewListener(16)
	require.NoError(t, consumer.Subscribe(ctx, consumerURL(greeter, ""), l))
	require.Equal(t, []string{"empty:providers"}, addresses(l.Next(t)))

	// dubbo-go v3.3.0: nacos.category, /path, empty values.
	require.NoError(t, raw.Register(ctx, name, inacos.DefaultGroup, model.Instance{
		Ip: "127.0.0.1", Port: 30001, Weight: 1, Enable: true, Healthy: true,
		Metadata: map[string]string{
			"nacos.category": "providers", "protocol": "dubbo", "path": "/" + greeter, "interface": greeter,
			"side": "provider", "version": "", "group": "", "application": "go-p", "methods": "SayHello",
		},
	}))
	got := waitFor(t, l, "127.0.0.1:30001")
	u := got[0]
	require.Equal(t, "dubbo", u.Protocol())
	require.Equal(t, greeter, u.Path())
	require.Equal(t, "providers", u.Category())
	require.False(t, u.Has("version"), "an empty value is absent")
	require.False(t, u.Has("group"))

	// Disabled in Nacos, and enabled=false in the URL: both dropped.
	require.NoError(t, raw.Register(ctx, name, inacos.DefaultGroup, model.Instance{
		Ip: "127.0.0.1", Port: 30002, Weight: 1, Enable: false, Healthy: true,
		Metadata: map[string]string{"category": "providers", "protocol": "dubbo", "path": greeter, "interface": greeter},
	}))
	require.NoError(t, raw.Register(ctx, name, inacos.DefaultGroup, model.Instance{
		Ip: "127.0.0.1", Port: 30003, Weight: 1, Enable: true, Healthy: true,
		Metadata: map[string]string{"category": "providers", "protocol": "dubbo", "path": greeter, "interface": greeter, "enabled": "false"},
	}))
	require.NoError(t, raw.Register(ctx, name, inacos.DefaultGroup, model.Instance{
		Ip: "127.0.0.1", Port: 30004, Weight: 1, Enable: true, Healthy: true,
		Metadata: map[string]string{"category": "providers", "protocol": "dubbo", "path": greeter, "interface": greeter},
	}))
	waitFor(t, l, "127.0.0.1:30001", "127.0.0.1:30004")
	// polaris does not even list the disabled instance; toURL's test covers
	// a disabled or unhealthy instance the server lists.
}

func TestNoFilesInWorkingDirectory(t *testing.T) {
	addr := nacostest.Addr(t)
	before, err := os.ReadDir(".")
	require.NoError(t, err)
	r, err := nacos.New(regURL(addr, nacostest.Unique(t), ""))
	require.NoError(t, err)
	require.NoError(t, r.Register(ctx, providerURL(greeter, 1, "")))
	l := testutil.NewListener(4)
	require.NoError(t, r.Subscribe(ctx, consumerURL(greeter, ""), l))
	l.Next(t)
	require.NoError(t, r.Close())
	after, err := os.ReadDir(".")
	require.NoError(t, err)
	require.Equal(t, names(before), names(after))
}

func names(es []os.DirEntry) []string {
	var out []string
	for _, e := range es {
		out = append(out, e.Name())
	}
	return out
}

func TestOpenByScheme(t *testing.T) {
	addr := nacostest.Addr(t)
	r, err := registry.Open(regURL(addr, nacostest.Unique(t), "file.cache=false"))
	require.NoError(t, err)
	defer r.Close()
	_, ok := r.(*registry.FailbackRegistry)
	require.True(t, ok)
	require.Contains(t, registry.Schemes(), "nacos")
}

func TestNewErrors(t *testing.T) {
	for _, u := range []string{
		"nacos://0.0.0.0:8848",
		"nacos://127.0.0.1:8848?nacos.empty-grace=x",
		"nacos://127.0.0.1:8848?nacos.lookup.interval=0",
		"nacos://127.0.0.1:65000",
	} {
		_, err := nacos.New(common.MustParse(u))
		require.Error(t, err, u)
	}
}

// BenchmarkSubscribeFirstList is the time from Subscribe to the first full
// list, against a polaris server of its own (FLEET_POLARIS_BIN), with n
// providers registered; each iteration subscribes and unsubscribes.
func BenchmarkSubscribeFirstList(b *testing.B) {
	addr := nacostest.StartPolaris(b).Addr()
	// polaris takes a large batch in at some tens of instances a second on
	// a loaded machine: the sizes stay small (BenchmarkPush has 1,000).
	for _, n := range []int{10, 100} {
		b.Run("providers="+strconv.Itoa(n), func(b *testing.B) {
			ns := nacostest.Unique(b)
			raw := observer(b, addr, ns)
			name := "providers:" + greeter + "::"
			hs := make([]model.Instance, n)
			for i := range hs {
				hs[i] = model.Instance{Ip: "10.0." + strconv.Itoa(i/250) + "." + strconv.Itoa(i%250+1), Port: 20880,
					Weight: 1, Enable: true, Healthy: true,
					Metadata: providerURL(greeter, 20880, "").Params()}
				hs[i].Metadata["category"], hs[i].Metadata["protocol"], hs[i].Metadata["path"] = "providers", "dubbo", greeter
			}
			require.NoError(b, raw.RegisterAll(ctx, name, inacos.DefaultGroup, hs))
			r, err := nacos.New(regURL(addr, ns, "file.cache=false"))
			require.NoError(b, err)
			defer r.Close()
			sub := consumerURL(greeter, "")
			got := 0
			l := registry.NotifyFunc(func(urls []*common.URL) { got = len(urls) })
			// The server shows a large registration to readers after a while.
			deadline := time.Now().Add(60 * time.Second)
			for got != n {
				if time.Now().After(deadline) {
					b.Fatalf("the first list has %d URLs, want %d", got, n)
				}
				if err := r.Subscribe(ctx, sub, &l); err != nil {
					b.Logf("subscribe: %v", err)
				}
				require.NoError(b, r.Unsubscribe(ctx, sub, &l))
				time.Sleep(100 * time.Millisecond)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if err := r.Subscribe(ctx, sub, &l); err != nil {
					b.Fatal(err)
				}
				if got != n {
					b.Fatalf("first list of %d, want %d", got, n)
				}
				if err := r.Unsubscribe(ctx, sub, &l); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
