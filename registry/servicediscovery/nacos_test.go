package servicediscovery

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nacos-group/nacos-sdk-go/v2/model"
	"github.com/stretchr/testify/require"

	"github.com/fleetrpc/fleet/common"
	inacos "github.com/fleetrpc/fleet/internal/nacos"
	"github.com/fleetrpc/fleet/internal/nacos/nacostest"
	"github.com/fleetrpc/fleet/internal/testutil"
	rpc "github.com/fleetrpc/fleet/protocol"
	"github.com/fleetrpc/fleet/protocol/dubbo"
	"github.com/fleetrpc/fleet/protocol/service"
	"github.com/fleetrpc/fleet/registry"
	regprotocol "github.com/fleetrpc/fleet/registry/protocol"
)

// nacosEnv is one test's namespace on the Nacos server: a plain client
// writing instances and configs as Dubbo 3 providers write them, and
// names.
type nacosEnv struct {
	t      testing.TB
	addr   string
	ns     string
	writer *inacos.NamingClient
	app    string
	iface  string
	logs   *syncBuffer
}

func newNacosEnv(t testing.TB) *nacosEnv { return newNacosEnvAt(t, nacostest.Addr(t)) }

// newNacosEnvAt is newNacosEnv on the server at addr.
func newNacosEnvAt(t testing.TB, addr string) *nacosEnv {
	ns := nacostest.Unique(t)
	cfg, err := inacos.ParseURL(common.MustParse("nacos://" + addr + "?namespace=" + ns + "&timeout=10000"))
	require.NoError(t, err)
	w, err := inacos.NewNamingClient(cfg, inacos.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, w.Close()) })
	id := randHex()
	return &nacosEnv{t: t, addr: addr, ns: ns, writer: w, app: "app-" + id, iface: "org.fleet.test.Greeter" + id, logs: &syncBuffer{}}
}

// retry runs a write until the server takes it: a loaded server may answer
// after the request's deadline.
func (e *nacosEnv) retry(what string, fn func() error) {
	e.t.Helper()
	var err error
	require.Eventually(e.t, func() bool { err = fn(); return err == nil },
		3*testutil.DefaultTimeout, 200*time.Millisecond, "%s: %v", what, &err)
}

// mapping publishes the mapping config of the env's interface and waits
// until the server answers reads with it (polaris serves configs from a
// cache refreshed every second or so).
func (e *nacosEnv) mapping(apps ...string) {
	e.t.Helper()
	e.config(e.iface, MappingGroup, strings.Join(apps, ","))
}

// nacosInstanceMetadata is the metadata a Dubbo 3 provider of revision
// serving dubbo on port, its MetadataService on msPort, registers.
func nacosInstanceMetadata(port int, revision, storage string, msPort int) map[string]string {
	return map[string]string{
		RevisionKey:              revision,
		StorageTypeKey:           storage,
		EndpointsKey:             fmt.Sprintf(`[{"port":%d,"protocol":"dubbo"}]`, port),
		MetadataServiceParamsKey: fmt.Sprintf(`{"version":"1.0.0","dubbo":"2.0.2","release":"3.3.0","port":"%d","protocol":"dubbo"}`, msPort),
		"id":                     fmt.Sprintf("127.0.0.1:%d", port),
	}
}

// instance registers 127.0.0.1:port in the Nacos service app.
func (e *nacosEnv) instance(app string, port int, md map[string]string) {
	e.t.Helper()
	e.instanceIn(inacos.DefaultGroup, app, port, md)
}

// instanceIn registers 127.0.0.1:port in the Nacos service app of group.
func (e *nacosEnv) instanceIn(group, app string, port int, md map[string]string) {
	e.t.Helper()
	inst := model.Instance{Ip: "127.0.0.1", Port: uint64(port), Weight: 1, Enable: true, Healthy: true, Metadata: md}
	e.retry("register", func() error { return e.writer.Register(ctx, app, group, inst) })
	e.retry("registered", func() error { // the server lists it with this metadata
		svc, err := e.writer.Query(ctx, app, group)
		if err != nil {
			return err
		}
		for _, h := range svc.Hosts {
			if h.Port == uint64(port) && h.Metadata[RevisionKey] == md[RevisionKey] {
				return nil
			}
		}
		return fmt.Errorf("127.0.0.1:%d not listed yet", port)
	})
}

// config publishes a config and waits until the server answers reads with
// it.
func (e *nacosEnv) config(dataID, group, content string) {
	e.t.Helper()
	e.retry("publish", func() error { return e.writer.PublishConfig(ctx, dataID, group, content) })
	e.retry("read", func() error {
		got, err := e.writer.GetConfig(ctx, dataID, group)
		if err == nil && got != content {
			err = fmt.Errorf("%s in %s reads %q", dataID, group, got)
		}
		return err
	})
}

// deregister removes 127.0.0.1:port from the Nacos service app and waits
// until the server no longer lists it. The client forgets an instance
// before its request is answered, so a request that timed out is sent
// again by registering the instance and removing it once more.
func (e *nacosEnv) deregister(app string, port int) {
	e.t.Helper()
	e.retry("deregister", func() error {
		if err := e.writer.Deregister(ctx, app, inacos.DefaultGroup, "127.0.0.1", uint64(port)); err != nil {
			_ = e.writer.Register(ctx, app, inacos.DefaultGroup, model.Instance{Ip: "127.0.0.1", Port: uint64(port), Weight: 1, Enable: true, Healthy: true})
			return err
		}
		return nil
	})
	e.retry("deregistered", func() error {
		svc, err := e.writer.Query(ctx, app, inacos.DefaultGroup)
		for _, h := range svc.Hosts {
			if err == nil && h.Port == uint64(port) {
				err = fmt.Errorf("127.0.0.1:%d still listed", port)
			}
		}
		return err
	})
}

func (e *nacosEnv) url(extra string) *common.URL {
	return common.MustParse("service-discovery-registry://" + e.addr + "?registry=nacos&namespace=" + e.ns +
		"&timeout=10000&nacos.poll=500ms&mapping.poll=100ms" + extra)
}

// open opens the registry of this env, closed at cleanup.
func (e *nacosEnv) open(extra string, opts ...Option) *Registry {
	e.t.Helper()
	opts = append([]Option{WithLogger(slog.New(slog.NewTextHandler(e.logs, nil)))}, opts...)
	r, err := NewNacos(e.url(extra), opts...)
	require.NoError(e.t, err)
	e.t.Cleanup(func() { require.NoError(e.t, r.Close()) })
	return r
}

func (e *nacosEnv) consumer(extra string) *common.URL {
	return common.MustParse("consumer://127.0.0.1/" + e.iface + "?interface=" + e.iface + "&side=consumer" + extra)
}

func (e *nacosEnv) metadata(app, revision string, params map[string]string) *MetadataInfo {
	si := &ServiceInfo{Name: e.iface, Protocol: "dubbo", Path: e.iface, Params: params}
	return &MetadataInfo{App: app, Revision: revision, Services: map[string]*ServiceInfo{si.matchKey(): si}}
}

// Instances registered in Nacos with Dubbo's metadata are found through
// the mapping config and one getMetadataInfo call per revision, and
// followed as they come, go and change revision.
func TestNacosSubscribeFindsInstances(t *testing.T) {
	t.Parallel()
	e := newNacosEnv(t)
	ms, msPort := serveMetadata(t, e.app, e.metadata(e.app, "r1", map[string]string{"methods": "sayHello", "timeout": "3000"}))
	e.mapping(e.app)
	var want []string
	for port := 30001; port <= 30003; port++ {
		e.instance(e.app, port, nacosInstanceMetadata(port, "r1", StorageLocal, msPort))
		want = append(want, fmt.Sprintf("dubbo://127.0.0.1:%d", port))
	}
	r := e.open("")
	rec := &recorder{}
	require.NoError(t, r.Subscribe(ctx, e.consumer(""), rec))
	rec.waitAddrs(t, want...)
	require.Equal(t, int64(1), ms.calls.Load(), "three instances sharing a revision cost one call")
	require.Equal(t, "dubbo://127.0.0.1:30001/"+e.iface+"?application="+e.app+"&interface="+e.iface+
		"&methods=sayHello&side=provider&timeout=3000", rec.last()[0])

	// An instance added, one removed: no metadata call.
	e.instance(e.app, 30004, nacosInstanceMetadata(30004, "r1", StorageLocal, msPort))
	rec.waitAddrs(t, append(append([]string(nil), want...), "dubbo://127.0.0.1:30004")...)
	e.deregister(e.app, 30001)
	rec.waitAddrs(t, append(want[1:], "dubbo://127.0.0.1:30004")...)
	require.Equal(t, int64(1), ms.calls.Load())

	// A revision change is fetched once.
	ms.set(e.metadata(e.app, "r2", map[string]string{"methods": "sayHello", "timeout": "5000"}))
	e.instance(e.app, 30002, nacosInstanceMetadata(30002, "r2", StorageLocal, msPort))
	require.Eventually(t, func() bool {
		return strings.Contains(strings.Join(rec.last(), " "), ":30002/"+e.iface+"?application="+e.app+"&interface="+e.iface+"&methods=sayHello&side=provider&timeout=5000")
	}, 10*time.Second, 10*time.Millisecond)
	require.Equal(t, int64(2), ms.calls.Load())

	// Lookup reads the same without watching.
	got, err := r.Lookup(ctx, e.consumer(""))
	require.NoError(t, err)
	require.Len(t, got, 3)

	// Every instance gone: one empty:// providers URL; the cache is emptied.
	for _, port := range []int{30002, 30003, 30004} {
		e.deregister(e.app, port)
	}
	rec.waitAddrs(t, "empty")
	require.Equal(t, 0, r.cache.len(), "revisions no instance carries are dropped")
}

// The mapping config is watched: it appears, changes, and an empty or
// removed mapping keeps the applications it had (Java ignores an empty
// mapping). provided-by overrides it.
func TestNacosMappingWatched(t *testing.T) {
	t.Parallel()
	e := newNacosEnv(t)
	ms, msPort := serveMetadata(t, e.app, e.metadata(e.app, "r1", nil))
	e.instance(e.app, 33001, nacosInstanceMetadata(33001, "r1", StorageLocal, msPort))
	other := e.app + "-b"
	ms.set(e.metadata(other, "r1", nil))
	msOther := exportMetadataService(t, other, ms)
	e.instance(other, 33002, nacosInstanceMetadata(33002, "r1", StorageLocal, msOther))
	r := e.open("")

	rec := &recorder{}
	require.NoError(t, r.Subscribe(ctx, e.consumer(""), rec))
	require.Equal(t, []string{"empty"}, rec.addrs(), "no mapping yet")
	e.mapping("nobody", e.app)
	rec.waitAddrs(t, "dubbo://127.0.0.1:33001")
	e.mapping(other)
	rec.waitAddrs(t, "dubbo://127.0.0.1:33002")

	// Removed: the applications stay. A later mapping is still followed.
	n := rec.count()
	e.retry("remove mapping", func() error { return e.writer.RemoveConfig(ctx, e.iface, MappingGroup) })
	require.Eventually(t, func() bool {
		got, err := r.Lookup(ctx, e.consumer(""))
		return err == nil && len(got) == 0
	}, 10*time.Second, 50*time.Millisecond, "the mapping is gone from the server")
	time.Sleep(300 * time.Millisecond) // three mapping polls: the list must not empty meanwhile
	require.Equal(t, []string{"dubbo://127.0.0.1:33002"}, rec.addrs())
	e.mapping(e.app, other)
	rec.waitAddrs(t, "dubbo://127.0.0.1:33001", "dubbo://127.0.0.1:33002")
	rec.mu.Lock()
	for _, l := range rec.lists[n:] {
		require.NotEqual(t, common.EmptyProtocol, l[0].Protocol(), "the removed mapping emptied the list")
	}
	rec.mu.Unlock()

	// provided-by overrides the mapping.
	pb := &recorder{}
	require.NoError(t, r.Subscribe(ctx, e.consumer("&provided-by="+other), pb))
	require.Equal(t, []string{"dubbo://127.0.0.1:33002"}, pb.addrs())
	require.NoError(t, r.Unsubscribe(ctx, e.consumer("&provided-by="+other), pb))
}

// The registry URL's group (nacos.group, else group) is the Nacos group
// of the applications' services; the mapping stays in group mapping.
// polaris pushes only DEFAULT_GROUP: other groups are re-read every
// nacos.poll.
func TestNacosGroup(t *testing.T) {
	t.Parallel()
	e := newNacosEnv(t)
	_, msPort := serveMetadata(t, e.app, e.metadata(e.app, "r1", nil))
	e.mapping(e.app)
	e.instance(e.app, 32001, nacosInstanceMetadata(32001, "r1", StorageLocal, msPort))
	e.instanceIn("g1", e.app, 32002, nacosInstanceMetadata(32002, "r1", StorageLocal, msPort))
	for _, c := range []struct{ extra, want string }{
		{"", "dubbo://127.0.0.1:32001"},
		{"&group=g1", "dubbo://127.0.0.1:32002"},
		{"&group=other&nacos.group=g1", "dubbo://127.0.0.1:32002"},
	} {
		r := e.open(c.extra)
		rec := &recorder{}
		require.NoError(t, r.Subscribe(ctx, e.consumer(""), rec))
		rec.waitAddrs(t, c.want)
	}
	r := e.open("&group=g1")
	rec := &recorder{}
	require.NoError(t, r.Subscribe(ctx, e.consumer(""), rec))
	rec.waitAddrs(t, "dubbo://127.0.0.1:32002")
	e.instanceIn("g1", e.app, 32003, nacosInstanceMetadata(32003, "r1", StorageLocal, msPort))
	rec.waitAddrs(t, "dubbo://127.0.0.1:32002", "dubbo://127.0.0.1:32003")
}

// An instance whose MetadataService is unreachable is skipped with a log
// line and retried; the others are listed.
func TestNacosUnreachableMetadataServiceIsSkipped(t *testing.T) {
	t.Parallel()
	e := newNacosEnv(t)
	ms, msPort := serveMetadata(t, e.app, e.metadata(e.app, "good", nil))
	e.mapping(e.app)
	e.instance(e.app, 31001, nacosInstanceMetadata(31001, "good", StorageLocal, msPort))
	e.instance(e.app, 31002, nacosInstanceMetadata(31002, "bad", StorageLocal, closedPort(t)))
	r := e.open("", WithRetryPeriod(100*time.Millisecond))
	rec := &recorder{}
	require.NoError(t, r.Subscribe(ctx, e.consumer(""), rec))
	rec.waitAddrs(t, "dubbo://127.0.0.1:31001")
	require.Eventually(t, func() bool {
		return strings.Count(e.logs.String(), "metadata service unreachable, instance skipped") >= 2
	}, 10*time.Second, 10*time.Millisecond, "logged and retried")
	require.Contains(t, e.logs.String(), "instance=127.0.0.1:31002")
	require.Equal(t, []string{"dubbo://127.0.0.1:31001"}, rec.addrs())
	require.Equal(t, int64(1), ms.calls.Load())
}

// Storage type remote: the metadata is the config <app> in group
// <revision> (Java's layout), else <app>:<revision> in the registry's group
// (dubbo-go 3.1's); a missing one leaves its instances out.
func TestNacosRemoteMetadataFromTheReport(t *testing.T) {
	t.Parallel()
	e := newNacosEnv(t)
	e.mapping(e.app)
	doc := func(rev string) string {
		return `{"app":"` + e.app + `","revision":"` + rev + `","services":{"` + e.iface + `:dubbo":{"name":"` + e.iface +
			`","protocol":"dubbo","port":20880,"path":"` + e.iface + `","params":{"methods":"sayHello","rev":"` + rev + `"}}}}`
	}
	e.config(e.app, "java", doc("java"))
	e.config(e.app+":go31", inacos.DefaultGroup, doc("go31"))
	e.instance(e.app, 38001, nacosInstanceMetadata(38001, "java", StorageRemote, 1))
	e.instance(e.app, 38002, nacosInstanceMetadata(38002, "go31", StorageRemote, 1))
	e.instance(e.app, 38003, nacosInstanceMetadata(38003, "missing", StorageRemote, 1))
	r := e.open("", WithFetcher(FetcherFunc(func(context.Context, *Instance, string) (*MetadataInfo, error) {
		return nil, errors.New("remote storage must not call the instance")
	})))
	rec := &recorder{}
	require.NoError(t, r.Subscribe(ctx, e.consumer(""), rec))
	rec.waitAddrs(t, "dubbo://127.0.0.1:38001", "dubbo://127.0.0.1:38002")
	require.Contains(t, rec.last()[0], "rev=java")
	require.Contains(t, rec.last()[1], "rev=go31")
	require.Contains(t, e.logs.String(), "metadata unavailable, instances skipped")
	require.Contains(t, e.logs.String(), "revision=missing")
}

// A reference through the registry protocol (Java's
// service-discovery-registry://…?registry=nacos), the unchanged
// RegistryDirectory and a failover cluster calls providers found in Nacos
// by application-level discovery only.
func TestNacosReferThroughDirectoryAndCluster(t *testing.T) {
	t.Parallel()
	e := newNacosEnv(t)
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	ms, msPort := serveMetadata(t, e.app, e.metadata(e.app, "r1", map[string]string{"methods": "sayHello"}))
	e.mapping(e.app)
	for _, who := range []string{"a", "b"} {
		p := dubbo.New(dubbo.WithLogger(quiet))
		t.Cleanup(p.Destroy)
		u := common.MustParse("dubbo://127.0.0.1:0/" + e.iface + "?interface=" + e.iface + "&methods=sayHello")
		svc, err := service.New(u, greeter{who: who})
		require.NoError(t, err)
		exp, err := p.Export(svc)
		require.NoError(t, err)
		port := exp.(interface{ URL() *common.URL }).URL().Port()
		e.instance(e.app, port, nacosInstanceMetadata(port, "r1", StorageLocal, msPort))
	}

	ref := referThrough(t, e.url(""), e.iface)
	seen := map[string]bool{}
	require.Eventually(t, func() bool {
		res := ref.Invoke(ctx, rpc.NewInvocation("sayHello", "world"))
		if res.Error() == nil {
			seen[res.Value().(string)] = true
		}
		return len(seen) == 2
	}, 10*time.Second, 10*time.Millisecond)
	require.Equal(t, map[string]bool{"hello world from a": true, "hello world from b": true}, seen)
	require.Equal(t, int64(1), ms.calls.Load())
}

// Hosts Java's selectInstances(healthy) leaves out are left out; the
// server's and dubbo-go's own keys are dropped; an unchanged host keeps its
// instance (and the URLs built from it).
func TestNacosToInstances(t *testing.T) {
	logs := &syncBuffer{}
	n := &nacosSource{r: &Registry{log: slog.New(slog.NewTextHandler(logs, nil))}}
	md := map[string]string{RevisionKey: "r1", "id": "x", "internal-nacos-service": "s", EndpointsKey: `[{"port":2,"protocol":"tri"}]`}
	hosts := []model.Instance{
		{Ip: "10.0.0.1", Port: 1, Weight: 1, Enable: true, Healthy: true, Metadata: md},
		{Ip: "10.0.0.2", Port: 1, Weight: 1, Enable: false, Healthy: true, Metadata: md},
		{Ip: "10.0.0.3", Port: 1, Weight: 1, Enable: true, Healthy: false, Metadata: md},
		{Ip: "10.0.0.4", Port: 1, Weight: 0, Enable: true, Healthy: true, Metadata: md},
		{Ip: "10.0.0.5", Port: 70000, Weight: 1, Enable: true, Healthy: true, Metadata: md},
		{Ip: "", Port: 1, Weight: 1, Enable: true, Healthy: true, Metadata: md},
		{Ip: "10.0.0.6", Port: 1, Weight: 1, Enable: true, Healthy: true},
		{Ip: "::1", Port: 7, Weight: 1, Enable: true, Healthy: true, Metadata: md},
	}
	got := n.toInstances("app", hosts, nil)
	require.Len(t, got, 3)
	require.Equal(t, "[::1]:7", got["[::1]:7"].ID)
	require.Equal(t, "::1", got["[::1]:7"].Host)
	in := got["10.0.0.1:1"]
	require.Equal(t, &Instance{ID: "10.0.0.1:1", App: "app", Host: "10.0.0.1", Port: 1,
		Metadata:  map[string]string{RevisionKey: "r1", EndpointsKey: `[{"port":2,"protocol":"tri"}]`},
		endpoints: []endpoint{{Port: 2, Protocol: "tri"}}}, in)
	require.Contains(t, logs.String(), "instance skipped: no metadata revision")
	require.Contains(t, logs.String(), "instance=10.0.0.6:1")

	again := n.toInstances("app", hosts[:1], got)
	require.Same(t, in, again["10.0.0.1:1"])
	changed := n.toInstances("app", []model.Instance{{Ip: "10.0.0.1", Port: 1, Weight: 1, Enable: true, Healthy: true,
		Metadata: map[string]string{RevisionKey: "r2"}}}, got)
	require.NotSame(t, in, changed["10.0.0.1:1"])
	require.Equal(t, "r2", changed["10.0.0.1:1"].Revision())
}

// Open picks Nacos from the registry param; bad params are errors.
func TestNacosOpen(t *testing.T) {
	t.Parallel()
	e := newNacosEnv(t)
	_, err := NewNacos(common.MustParse("service-discovery-registry://" + e.addr + "?registry=nacos&mapping.poll=-1"))
	require.ErrorContains(t, err, "mapping.poll")
	_, err = NewNacos(common.MustParse("service-discovery-registry://0.0.0.0:8848?registry=nacos"))
	require.Error(t, err)
	o, err := registry.Open(e.url(""))
	require.NoError(t, err)
	require.IsType(t, &nacosSource{}, o.(*Registry).src)
	require.NoError(t, o.Close())
	r := e.open("")
	require.NoError(t, r.Register(ctx, e.consumer("")))
	provider := common.MustParse("dubbo://127.0.0.1:20880/" + e.iface + "?interface=" + e.iface)
	require.ErrorIs(t, r.Register(ctx, provider), ErrInvalid, "no application")
	require.NoError(t, r.Unregister(ctx, provider), "not registered")
	require.NoError(t, r.Close())
	require.ErrorIs(t, r.Subscribe(ctx, e.consumer(""), &recorder{}), ErrClosed)
}

// The server restarts: the consumer's list stays, the subscription is
// sent again, and an instance registered after the restart is pushed.
func TestNacosServerRestart(t *testing.T) {
	p := nacostest.StartPolaris(t)
	e := newNacosEnvAt(t, p.Addr())
	ms, msPort := serveMetadata(t, e.app, e.metadata(e.app, "r1", nil))
	e.mapping(e.app)
	e.instance(e.app, 36001, nacosInstanceMetadata(36001, "r1", StorageLocal, msPort))
	r := e.open("")
	rec := &recorder{}
	require.NoError(t, r.Subscribe(ctx, e.consumer(""), rec))
	rec.waitAddrs(t, "dubbo://127.0.0.1:36001")

	p.Restart()
	e.instance(e.app, 36002, nacosInstanceMetadata(36002, "r1", StorageLocal, msPort))
	require.Eventually(t, func() bool {
		return fmt.Sprint(rec.addrs()) == "[dubbo://127.0.0.1:36001 dubbo://127.0.0.1:36002]"
	}, 3*testutil.DefaultTimeout, 20*time.Millisecond)
	rec.mu.Lock()
	defer rec.mu.Unlock()
	for _, l := range rec.lists {
		require.NotEqual(t, common.EmptyProtocol, l[0].Protocol(), "the list was emptied")
	}
	require.Equal(t, int64(1), ms.calls.Load())
}

// Within the grace after a reconnection, hosts turning empty are held
// back: the last hosts stay, until hosts come or the grace ends (then the
// subscriptions read the empty list). Outside it, and on the first
// connection, an empty list is taken at once.
func TestNacosEmptyListHeldAfterReconnecting(t *testing.T) {
	logs := &syncBuffer{}
	r := &Registry{log: slog.New(slog.NewTextHandler(logs, nil))}
	n := &nacosSource{r: r, grace: 300 * time.Millisecond}
	s := &subscription{kick: make(chan struct{}, 1), appSet: map[string]bool{"app": true}}
	aw := &appWatch{app: "app", subs: map[*subscription]bool{s: true}}
	one := []model.Instance{{Ip: "10.0.0.1", Port: 1}}

	n.onConnection(true) // the first connection: no grace
	require.True(t, n.update(aw, one))
	require.True(t, n.update(aw, nil))
	require.Empty(t, aw.last)
	require.True(t, n.update(aw, one))

	n.onConnection(false)
	n.onConnection(true) // a reconnection
	require.False(t, n.update(aw, nil), "held")
	require.Equal(t, one, aw.last)
	require.Contains(t, logs.String(), "holding an empty instance list")
	two := []model.Instance{{Ip: "10.0.0.1", Port: 1}, {Ip: "10.0.0.2", Port: 1}}
	require.True(t, n.update(aw, two), "hosts came: the hold ends")
	require.Equal(t, two, aw.last)

	require.False(t, n.update(aw, nil), "held again")
	select {
	case <-s.kick: // the grace ended: the subscription reads the empty list
	case <-time.After(10 * time.Second):
		t.Fatal("the hold did not end")
	}
	aw.mu.Lock()
	require.Empty(t, aw.last)
	require.Nil(t, aw.held)
	aw.mu.Unlock()
	require.True(t, s.pending.apps["app"])
	time.Sleep(400 * time.Millisecond) // past the grace
	require.True(t, n.update(aw, one))
	require.True(t, n.update(aw, nil), "past the grace: taken at once")
}

// The provider side on Nacos: Register makes the application's instance
// an instance of the Nacos service <app> with Dubbo 3's metadata, adds the
// application to the mapping config and serves the MetadataService; a
// consumer finds and calls it through application-level discovery;
// Unregister removes it.
func TestNacosRegisterProvider(t *testing.T) {
	t.Parallel()
	e := newNacosEnv(t)
	a := newProvider(t, nil, 0, e.app, e.iface, "a")
	ra := e.open("", WithMetadataProtocol(a.proto))
	require.NoError(t, ra.Register(ctx, a.url))

	var inst model.Instance
	e.retry("instance", func() error {
		svc, err := e.writer.Query(ctx, e.app, inacos.DefaultGroup)
		if err == nil && len(svc.Hosts) != 1 {
			err = fmt.Errorf("%d instances", len(svc.Hosts))
		}
		if err == nil {
			inst = svc.Hosts[0]
		}
		return err
	})
	require.Equal(t, "127.0.0.1", inst.Ip)
	require.Equal(t, uint64(a.url.Port()), inst.Port)
	require.Equal(t, wantRevision(e.app, a.url), inst.Metadata[RevisionKey])
	require.Equal(t, StorageLocal, inst.Metadata[StorageTypeKey])
	require.Equal(t, fmt.Sprintf(`[{"port":%d,"protocol":"dubbo"}]`, a.url.Port()), inst.Metadata[EndpointsKey])
	require.Contains(t, inst.Metadata[MetadataServiceParamsKey], fmt.Sprintf(`"port":"%d"`, a.url.Port()))
	e.retry("mapping", func() error {
		m, err := e.writer.GetConfig(ctx, e.iface, MappingGroup)
		if err == nil && m != e.app {
			err = fmt.Errorf("mapping %q", m)
		}
		return err
	})

	ref := referThrough(t, e.url(""), e.iface)
	res := ref.Invoke(ctx, rpc.NewInvocation("sayHello", "world"))
	require.NoError(t, res.Error())
	require.Equal(t, "hello world from a", res.Value())

	// A second application of the interface joins the mapping.
	other := e.app + "-b"
	b := newProvider(t, nil, 0, other, e.iface, "b")
	rb := e.open("", WithMetadataProtocol(b.proto))
	require.NoError(t, rb.Register(ctx, b.url))
	e.retry("mapping", func() error {
		m, err := e.writer.GetConfig(ctx, e.iface, MappingGroup)
		if err == nil && m != e.app+","+other {
			err = fmt.Errorf("mapping %q", m)
		}
		return err
	})

	rec := &recorder{}
	sub := e.open("")
	require.NoError(t, sub.Subscribe(ctx, e.consumer(""), rec))
	want := []string{"dubbo://" + a.url.Address(), "dubbo://" + b.url.Address()}
	slices.Sort(want)
	rec.waitAddrs(t, want...)
	require.NoError(t, ra.Unregister(ctx, a.url))
	rec.waitAddrs(t, "dubbo://"+b.url.Address())
}

// A provider exported through registry/protocol on service-discovery-registry://…?registry=nacos
// is registered per application (its MetadataService through the
// registered dubbo protocol), called by a consumer on the same URL, and
// deregistered on Unexport.
func TestNacosExportThroughRegistryProtocol(t *testing.T) {
	t.Parallel()
	e := newNacosEnv(t)
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	port := closedPort(t)
	u := common.MustParse(fmt.Sprintf("dubbo://127.0.0.1:%d/%s?interface=%s&methods=sayHello&side=provider&application=%s&pid=1",
		port, e.iface, e.iface, e.app))
	svc, err := service.New(u, greeter{who: "exported"})
	require.NoError(t, err)
	provider := regprotocol.New(regprotocol.WithLogger(quiet), regprotocol.WithoutConfigCenter())
	t.Cleanup(provider.Destroy)
	exp, err := provider.Export(ctx, e.url(""), svc)
	require.NoError(t, err)
	unexported := false
	t.Cleanup(func() {
		if !unexported {
			exp.Unexport()
		}
	})
	e.retry("instance", func() error {
		svc, err := e.writer.Query(ctx, e.app, inacos.DefaultGroup)
		if err == nil && (len(svc.Hosts) != 1 || svc.Hosts[0].Metadata[RevisionKey] != wantRevision(e.app, u)) {
			err = fmt.Errorf("instances %v", svc.Hosts)
		}
		return err
	})
	e.retry("mapping", func() error {
		m, err := e.writer.GetConfig(ctx, e.iface, MappingGroup)
		if err == nil && m != e.app {
			err = fmt.Errorf("mapping %q", m)
		}
		return err
	})

	ref := referThrough(t, e.url(""), e.iface, regprotocol.WithoutConfigCenter())
	res := ref.Invoke(ctx, rpc.NewInvocation("sayHello", "world"))
	require.NoError(t, res.Error())
	require.Equal(t, "hello world from exported", res.Value())

	exp.Unexport()
	unexported = true
	e.retry("deregistered", func() error {
		svc, err := e.writer.Query(ctx, e.app, inacos.DefaultGroup)
		if err == nil && len(svc.Hosts) != 0 {
			err = fmt.Errorf("instances %v", svc.Hosts)
		}
		return err
	})
}

// Applications registering one interface at the same moment all end up in
// its mapping config (a write is conditional on the content read, as
// Java's publishConfigCas).
func TestNacosMappingConcurrentApplications(t *testing.T) {
	t.Parallel()
	e := newNacosEnv(t)
	r := e.open("")
	n := r.src.(*nacosSource)
	apps := []string{e.app + "-1", e.app + "-2", e.app + "-3", e.app + "-4"}
	errs := make(chan error, len(apps))
	for _, app := range apps {
		go func() { errs <- n.publishMapping(ctx, e.iface, app) }()
	}
	for range apps {
		require.NoError(t, <-errs)
	}
	e.retry("mapping", func() error {
		m, err := e.writer.GetConfig(ctx, e.iface, MappingGroup)
		if err != nil {
			return err
		}
		got := parseMapping(m)
		slices.Sort(got)
		if !slices.Equal(got, apps) {
			return fmt.Errorf("mapping %q", m)
		}
		return nil
	})
}
