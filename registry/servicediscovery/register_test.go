package servicediscovery

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/stretchr/testify/require"

	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/internal/zktest"
	rpc "github.com/fleetrpc/fleet/protocol"
	"github.com/fleetrpc/fleet/protocol/dubbo"
	"github.com/fleetrpc/fleet/protocol/service"
	regprotocol "github.com/fleetrpc/fleet/registry/protocol"
)

// provider is a fleet provider of one greeter interface: served by its own
// dubbo protocol on a free loopback port, with the URL config registers.
type provider struct {
	proto *dubbo.Protocol
	url   *common.URL
}

// newProvider exports greeter{who} as iface for app on a new protocol (or
// on proto, at its port, when given).
func newProvider(t *testing.T, proto *dubbo.Protocol, port int, app, iface, who string) *provider {
	t.Helper()
	if proto == nil {
		proto = dubbo.New(dubbo.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
		t.Cleanup(proto.Destroy)
	}
	u := common.MustParse(fmt.Sprintf("dubbo://127.0.0.1:%d/%s?interface=%s&methods=sayHello&side=provider&application=%s"+
		"&anyhost=true&dynamic=true&deprecated=false&generic=false&dubbo=2.0.2&pid=4242&timestamp=1700000000000&timeout=3000",
		port, iface, iface, app))
	svc, err := service.New(u, greeter{who: who})
	require.NoError(t, err)
	exp, err := proto.Export(svc)
	require.NoError(t, err)
	t.Cleanup(exp.Unexport)
	return &provider{proto: proto, url: exp.(interface{ URL() *common.URL }).URL()}
}

// nodeDoc reads an instance node: its bytes and owner.
func (e *env) nodeDoc(p string) ([]byte, int64) {
	e.t.Helper()
	data, stat, err := e.Conn.Get(p)
	require.NoError(e.t, err)
	return data, stat.EphemeralOwner
}

func (e *env) instancePath(app string, port int) string {
	return e.Services + "/" + app + "/127.0.0.1:" + strconv.Itoa(port)
}

// wantRevision is Java's revision of app exporting the provider URLs.
func wantRevision(app string, urls ...*common.URL) string {
	services := map[string]*ServiceInfo{}
	for _, u := range urls {
		si := newServiceInfo(u)
		services[si.matchKey()] = si
	}
	return Revision(app, services)
}

// docShape is the Curator JSON of an instance with the metadata taken
// out: everything else is fixed.
var docShape = regexp.MustCompile(`^\{"name":"([^"]+)","id":"([^"]+)","address":"([^"]+)","port":(\d+),"sslPort":null,` +
	`"payload":\{"@class":"org\.apache\.dubbo\.registry\.zookeeper\.ZookeeperInstance","id":"([^"]+)","name":"([^"]+)",` +
	`"metadata":(\{.*\})\},"registrationTimeUTC":(\d{13}),"serviceType":"DYNAMIC","uriSpec":null\}$`)

// Register writes the instance node as Java Dubbo's ZookeeperServiceDiscovery
// does, adds the application to the mapping (keeping the others), and
// each service added or removed changes the revision; the last one
// removed deletes the node.
func TestRegisterWritesInstanceAndMapping(t *testing.T) {
	e := newEnv(t)
	iface2 := e.iface + "Two"
	p1 := newProvider(t, nil, 0, e.app, e.iface, "one")
	port := p1.url.Port()
	p2 := newProvider(t, p1.proto, port, e.app, iface2, "two")
	r := e.open("", WithMetadataProtocol(p1.proto))
	e.mapping("other-app")

	require.NoError(t, r.Register(ctx, p1.url))
	path := e.instancePath(e.app, port)
	data, owner := e.nodeDoc(path)
	require.Equal(t, r.conn.SessionID(), owner, "ephemeral, of the registry's session")
	m := docShape.FindSubmatch(data)
	require.NotNil(t, m, "node: %s", data)
	id := "127.0.0.1:" + strconv.Itoa(port)
	require.Equal(t, []string{e.app, id, "127.0.0.1", strconv.Itoa(port), id, e.app},
		[]string{string(m[1]), string(m[2]), string(m[3]), string(m[4]), string(m[5]), string(m[6])})
	var md map[string]string
	require.NoError(t, json.Unmarshal(m[7], &md))
	rev1 := wantRevision(e.app, p1.url)
	require.Regexp(t, `^[0-9a-f]{32}$`, rev1)
	require.Equal(t, map[string]string{
		RevisionKey:              rev1,
		StorageTypeKey:           "local",
		EndpointsKey:             fmt.Sprintf(`[{"port":%d,"protocol":"dubbo"}]`, port),
		MetadataServiceParamsKey: fmt.Sprintf(`{"connections":"1","dubbo":"2.0.2","port":"%d","protocol":"dubbo","side":"provider","version":"1.0.0"}`, port),
		MetadataVersionKey:       "1.0.0",
		"timestamp":              "1700000000000",
	}, md)
	mapping, _, err := e.Conn.Get("/" + e.Group + "/mapping/" + e.iface)
	require.NoError(t, err)
	require.Equal(t, "other-app,"+e.app, string(mapping))

	// The instance parses as the consumer side reads instances.
	in, err := parseInstance(e.app, data)
	require.NoError(t, err)
	require.Equal(t, rev1, in.Revision())

	// A second service: a new revision, its own mapping.
	require.NoError(t, r.Register(ctx, p2.url))
	data, _ = e.nodeDoc(path)
	in, err = parseInstance(e.app, data)
	require.NoError(t, err)
	rev2 := wantRevision(e.app, p1.url, p2.url)
	require.NotEqual(t, rev1, rev2)
	require.Equal(t, rev2, in.Revision())
	mapping, _, err = e.Conn.Get("/" + e.Group + "/mapping/" + iface2)
	require.NoError(t, err)
	require.Equal(t, e.app, string(mapping))
	// Registering again changes nothing, the mapping included.
	require.NoError(t, r.Register(ctx, p1.url))
	again, _ := e.nodeDoc(path)
	require.Equal(t, string(data), string(again))
	mapping, _, err = e.Conn.Get("/" + e.Group + "/mapping/" + e.iface)
	require.NoError(t, err)
	require.Equal(t, "other-app,"+e.app, string(mapping))

	// Removing the first: the revision of the second alone.
	require.NoError(t, r.Unregister(ctx, p1.url))
	data, _ = e.nodeDoc(path)
	in, err = parseInstance(e.app, data)
	require.NoError(t, err)
	require.Equal(t, wantRevision(e.app, p2.url), in.Revision())
	// An unknown provider is no error and changes nothing.
	require.NoError(t, r.Unregister(ctx, p1.url))
	require.NoError(t, r.Unregister(ctx, p1.url.WithParam("application", "nobody")))

	// Removing the last deletes the node; the mapping stays (as in Dubbo).
	require.NoError(t, r.Unregister(ctx, p2.url))
	ok, _, err := e.Conn.Exists(path)
	require.NoError(t, err)
	require.False(t, ok)
	mapping, _, err = e.Conn.Get("/" + e.Group + "/mapping/" + e.iface)
	require.NoError(t, err)
	require.Equal(t, "other-app,"+e.app, string(mapping))
}

// The MetadataService is served on the provider's own port and answers
// getMetadataInfo with the application's services at the current
// revision (and the previous one), null for others.
func TestMetadataServiceServesRevisions(t *testing.T) {
	e := newEnv(t)
	p1 := newProvider(t, nil, 0, e.app, e.iface, "one")
	port := p1.url.Port()
	p2 := newProvider(t, p1.proto, port, e.app, e.iface+"Two", "two")
	r := e.open("", WithMetadataProtocol(p1.proto))
	require.NoError(t, r.Register(ctx, p1.url))
	data, _ := e.nodeDoc(e.instancePath(e.app, port))
	in, err := parseInstance(e.app, data)
	require.NoError(t, err)
	msURL, err := in.MetadataServiceURL()
	require.NoError(t, err)
	require.Equal(t, port, msURL.Port(), "the MetadataService shares the provider's port")

	client := dubbo.New(dubbo.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	t.Cleanup(client.Destroy)
	f := &dubboFetcher{proto: client, timeout: 3 * time.Second}
	rev1 := in.Revision()
	md, err := f.Fetch(ctx, in, rev1)
	require.NoError(t, err)
	si := newServiceInfo(p1.url)
	require.Equal(t, &MetadataInfo{App: e.app, Revision: rev1, Services: map[string]*ServiceInfo{si.matchKey(): si}}, md)

	require.NoError(t, r.Register(ctx, p2.url))
	rev2 := wantRevision(e.app, p1.url, p2.url)
	md, err = f.Fetch(ctx, in, rev2)
	require.NoError(t, err)
	require.Len(t, md.Services, 2)
	require.Equal(t, rev2, md.Revision)
	md, err = f.Fetch(ctx, in, rev1)
	require.NoError(t, err, "the previous revision is still served")
	require.Len(t, md.Services, 1)
	_, err = f.Fetch(ctx, in, "no-such-revision")
	require.ErrorContains(t, err, "null")

	// Gone with the application's last service.
	require.NoError(t, r.Unregister(ctx, p1.url))
	require.NoError(t, r.Unregister(ctx, p2.url))
	_, err = f.Fetch(ctx, in, rev2)
	require.Error(t, err)
}

// A fleet consumer (this package's Subscribe, through the registry
// protocol, the RegistryDirectory and a failover cluster) finds and calls
// fleet providers registered through Register; they leave its list when
// unregistered.
func TestConsumerCallsRegisteredProvider(t *testing.T) {
	e := newEnv(t)
	a := newProvider(t, nil, 0, e.app, e.iface, "a")
	b := newProvider(t, nil, 0, e.app, e.iface, "b")
	ra := e.open("", WithMetadataProtocol(a.proto))
	rb := e.open("", WithMetadataProtocol(b.proto))
	require.NoError(t, ra.Register(ctx, a.url))
	require.NoError(t, rb.Register(ctx, b.url))

	ref := referThrough(t, common.MustParse("registry://"+zktest.Addr(t)+"?registry="+Scheme+"&group="+e.Group+"&rootPath="+e.Services+
		"&timeout=3000&session=8000"), e.iface)
	seen := map[string]bool{}
	for i := 0; i < 40 && len(seen) < 2; i++ {
		res := ref.Invoke(ctx, rpc.NewInvocation("sayHello", "world"))
		require.NoError(t, res.Error())
		seen[res.Value().(string)] = true
	}
	require.Equal(t, map[string]bool{"hello world from a": true, "hello world from b": true}, seen)

	// The subscriber's list follows Unregister.
	rec := &recorder{}
	sub := e.open("")
	require.NoError(t, sub.Subscribe(ctx, e.consumer(""), rec))
	want := []string{"dubbo://" + a.url.Address(), "dubbo://" + b.url.Address()}
	slices.Sort(want) // the list's order
	rec.waitAddrs(t, want...)
	require.NoError(t, ra.Unregister(ctx, a.url))
	rec.waitAddrs(t, "dubbo://"+b.url.Address())
}

// After the session expires the instance node is written again by the
// new session, with the same metadata.
func TestSessionExpiryRecreatesInstance(t *testing.T) {
	e := newEnv(t)
	p := newProvider(t, nil, 0, e.app, e.iface, "one")
	g := &zktest.Gate{}
	r := e.open("", WithDialer(g.Dial), WithMetadataProtocol(p.proto), WithRetryPeriod(100*time.Millisecond))
	require.NoError(t, r.Register(ctx, p.url))
	path := e.instancePath(e.app, p.url.Port())
	before, owner := e.nodeDoc(path)

	old := expire(t, g)
	require.Equal(t, owner, old)
	require.Eventually(t, func() bool {
		_, stat, err := e.Conn.Get(path)
		return err == nil && stat.EphemeralOwner != old && stat.EphemeralOwner == r.conn.SessionID()
	}, 15*time.Second, 20*time.Millisecond, "the instance node is re-created by the new session")
	after, _ := e.nodeDoc(path)
	require.Equal(t, string(before), string(after))
}

// Bad provider URLs are refused with a clear error and change nothing.
func TestRegisterRefusesBadURLs(t *testing.T) {
	e := newEnv(t)
	p := newProvider(t, nil, 0, e.app, e.iface, "one")
	r := e.open("", WithMetadataProtocol(p.proto))
	require.NoError(t, r.Register(ctx, p.url))
	path := e.instancePath(e.app, p.url.Port())
	before, _ := e.nodeDoc(path)
	for _, tc := range []struct {
		name string
		url  *common.URL
		want error
		msg  string
	}{
		{"no application", p.url.WithoutParams("application"), ErrInvalid, "no application param"},
		{"any-host", p.url.WithHost("0.0.0.0"), ErrInvalid, "any-host"},
		{"no port", p.url.WithPort(0), ErrInvalid, "no port"},
		{"no interface", common.MustParse("dubbo://127.0.0.1:1/?application=x"), ErrInvalid, "no interface"},
		{"first provider not dubbo", common.MustParse("tri://127.0.0.1:1/a.B?application=x-" + e.app), ErrUnsupported, "must be dubbo://"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := r.Register(ctx, tc.url)
			require.ErrorIs(t, err, tc.want)
			require.ErrorContains(t, err, tc.msg)
		})
	}
	after, _ := e.nodeDoc(path)
	require.Equal(t, string(before), string(after))
	ok, _, err := e.Conn.Exists(e.Services + "/x-" + e.app)
	require.NoError(t, err)
	require.False(t, ok)

	// Consumers register nothing.
	require.NoError(t, r.Register(ctx, e.consumer("&application=fleet-consumer")))
	children, _, err := e.Conn.Children(e.Services)
	require.NoError(t, err)
	require.Equal(t, []string{e.app}, children)

	// After Close: refused.
	require.NoError(t, r.Close())
	require.ErrorIs(t, r.Register(ctx, p.url), ErrClosed)
	_, _, err = e.Conn.Get(path)
	require.ErrorIs(t, err, zk.ErrNoNode, "the node went with the session")
}

// Exported as config exports (registry/protocol's Export through a
// service-discovery-registry URL, on the process's dubbo protocol), a
// provider is registered per application with its MetadataService on the
// same server, found and called by a consumer; Unexport deletes the node.
func TestExportThroughRegistryProtocol(t *testing.T) {
	e := newEnv(t)
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	port := closedPort(t)
	u := common.MustParse(fmt.Sprintf("dubbo://127.0.0.1:%d/%s?interface=%s&methods=sayHello&side=provider&application=%s&pid=1",
		port, e.iface, e.iface, e.app))
	svc, err := service.New(u, greeter{who: "exported"})
	require.NoError(t, err)
	// No WithMetadataProtocol: the registry, opened by registry/protocol,
	// exports the MetadataService through the registered dubbo protocol,
	// which registry/protocol exported the service through.
	reg := "registry://" + zktest.Addr(t) + "?registry=" + Scheme + "&group=" + e.Group + "&rootPath=" + e.Services +
		"&timeout=3000&session=8000"

	provider := regprotocol.New(regprotocol.WithLogger(quiet), regprotocol.WithoutConfigCenter())
	t.Cleanup(provider.Destroy)
	exp, err := provider.Export(ctx, common.MustParse(reg), svc)
	require.NoError(t, err)
	unexported := false
	t.Cleanup(func() {
		if !unexported {
			exp.Unexport()
		}
	})
	path := e.instancePath(e.app, port)
	data, _ := e.nodeDoc(path)
	in, err := parseInstance(e.app, data)
	require.NoError(t, err)
	require.Equal(t, wantRevision(e.app, u), in.Revision())

	ref := referThrough(t, common.MustParse(reg), e.iface, regprotocol.WithoutConfigCenter())
	res := ref.Invoke(ctx, rpc.NewInvocation("sayHello", "world"))
	require.NoError(t, res.Error())
	require.Equal(t, "hello world from exported", res.Value())

	exp.Unexport()
	unexported = true
	ok, _, err := e.Conn.Exists(path)
	require.NoError(t, err)
	require.False(t, ok, "the node goes with the application's last service")
}

// Cut off from ZooKeeper: a Register fails and changes nothing; an
// Unregister fails but stands, and its node write happens once the
// registry is back.
func TestRegisterWhileCutOff(t *testing.T) {
	e := newEnv(t)
	p1 := newProvider(t, nil, 0, e.app, e.iface, "one")
	p2 := newProvider(t, p1.proto, p1.url.Port(), e.app, e.iface+"Two", "two")
	p3 := newProvider(t, p1.proto, p1.url.Port(), e.app, e.iface+"Three", "three")
	g := &zktest.Gate{}
	r := e.open("&timeout=500", WithDialer(g.Dial), WithMetadataProtocol(p1.proto), WithRetryPeriod(100*time.Millisecond))
	require.NoError(t, r.Register(ctx, p1.url))
	require.NoError(t, r.Register(ctx, p2.url))
	path := e.instancePath(e.app, p1.url.Port())

	g.SetDown(true)
	require.Error(t, r.Register(ctx, p3.url))
	require.Error(t, r.Unregister(ctx, p2.url))
	g.SetDown(false)
	want := wantRevision(e.app, p1.url)
	require.Eventually(t, func() bool {
		data, _, err := e.Conn.Get(path)
		if err != nil {
			return false
		}
		in, err := parseInstance(e.app, data)
		return err == nil && in.Revision() == want
	}, 15*time.Second, 20*time.Millisecond, "the node lists the first service alone: not the one refused, not the one removed")
}

// Two registries of one process (two registry centres) registering one
// application at one address share its MetadataService, as Java exports
// one per application: it answers either's revision, and goes with the
// last of them.
func TestRegistriesShareMetadataService(t *testing.T) {
	e1, e2 := newEnv(t), newEnv(t)
	p1 := newProvider(t, nil, 0, e1.app, e1.iface, "one")
	p2 := newProvider(t, p1.proto, p1.url.Port(), e1.app, e1.iface+"Two", "two")
	r1 := e1.open("", WithMetadataProtocol(p1.proto))
	r2 := e2.open("", WithMetadataProtocol(p1.proto))
	require.NoError(t, r1.Register(ctx, p1.url))
	require.NoError(t, r2.Register(ctx, p1.url))
	require.NoError(t, r2.Register(ctx, p2.url))
	data, _ := e1.nodeDoc(e1.instancePath(e1.app, p1.url.Port()))
	in, err := parseInstance(e1.app, data)
	require.NoError(t, err)

	client := dubbo.New(dubbo.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	t.Cleanup(client.Destroy)
	f := &dubboFetcher{proto: client, timeout: 3 * time.Second}
	rev1, rev2 := wantRevision(e1.app, p1.url), wantRevision(e1.app, p1.url, p2.url)
	for rev, n := range map[string]int{rev1: 1, rev2: 2} {
		md, err := f.Fetch(ctx, in, rev)
		require.NoError(t, err)
		require.Len(t, md.Services, n)
	}
	require.NoError(t, r2.Close())
	_, err = f.Fetch(ctx, in, rev2)
	require.ErrorContains(t, err, "null", "the closed registry's revision is no longer served")
	md, err := f.Fetch(ctx, in, rev1)
	require.NoError(t, err)
	require.Equal(t, rev1, md.Revision)
	require.NoError(t, r1.Close())
	_, err = f.Fetch(ctx, in, rev1)
	require.Error(t, err)
	require.NotContains(t, err.Error(), "null", "unexported: not found, not null")
}

// Applications registering one interface at once all end up in its
// mapping: the versioned compare-and-set loses no name.
func TestMappingConcurrentApplications(t *testing.T) {
	e := newEnv(t)
	const n = 4
	regs := make([]*Registry, n)
	urls := make([]*common.URL, n)
	var want []string
	for i := range n {
		app := fmt.Sprintf("%s-%d", e.app, i)
		p := newProvider(t, nil, 0, app, e.iface, app)
		regs[i], urls[i] = e.open("", WithMetadataProtocol(p.proto)), p.url
		want = append(want, app)
	}
	errs := make(chan error, n)
	for i := range n {
		go func() { errs <- regs[i].Register(ctx, urls[i]) }()
	}
	for range n {
		require.NoError(t, <-errs)
	}
	mapping, _, err := e.Conn.Get("/" + e.Group + "/mapping/" + e.iface)
	require.NoError(t, err)
	require.ElementsMatch(t, want, parseMapping(string(mapping)))
	require.Len(t, strings.Split(string(mapping), ","), n, "no name twice")
}
