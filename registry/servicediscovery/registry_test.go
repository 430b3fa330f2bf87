package servicediscovery

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/internal/zktest"
	"github.com/fleetrpc/fleet/registry"
)

func TestSubscribeFindsInstancesThroughMappingAndMetadataService(t *testing.T) {
	e := newEnv(t)
	ms, msPort := serveMetadata(t, e.app, e.metadata(e.app, "r1", map[string]string{"methods": "sayHello", "timeout": "3000", "application": e.app}))
	e.mapping(e.app)
	var want []string
	nodes := map[int]string{}
	for port := 30001; port <= 30010; port++ {
		nodes[port] = e.instance(e.app, port, "r1", msPort)
		want = append(want, fmt.Sprintf("dubbo://127.0.0.1:%d", port))
	}
	r := e.open("")
	rec := &recorder{}
	require.NoError(t, r.Subscribe(ctx, e.consumer(""), rec))

	// Notified before Subscribe returned: ten providers, one metadata call.
	require.Equal(t, 1, rec.count())
	require.Equal(t, want, rec.addrs())
	require.Equal(t, int64(1), ms.calls.Load(), "ten instances sharing a revision cost one call")
	require.Equal(t, "dubbo://127.0.0.1:30001/"+e.iface+"?application="+e.app+"&interface="+e.iface+
		"&methods=sayHello&side=provider&timeout=3000", rec.last()[0])

	// An instance added, one removed: no metadata call.
	e.instance(e.app, 30011, "r1", msPort)
	rec.waitAddrs(t, append(append([]string(nil), want...), "dubbo://127.0.0.1:30011")...)
	e.Delete(nodes[30001])
	rec.waitAddrs(t, append(want[1:], "dubbo://127.0.0.1:30011")...)
	require.Equal(t, int64(1), ms.calls.Load())

	// A revision change is fetched once.
	ms.set(e.metadata(e.app, "r2", map[string]string{"methods": "sayHello", "timeout": "5000"}))
	e.instance(e.app, 30002, "r2", msPort)
	require.Eventually(t, func() bool {
		for _, u := range rec.last() {
			if strings.Contains(u, ":30002/") {
				return strings.Contains(u, "timeout=5000")
			}
		}
		return false
	}, 10*time.Second, 10*time.Millisecond)
	require.Equal(t, int64(2), ms.calls.Load())
	e.instance(e.app, 30003, "r2", msPort) // a second instance moving to r2: cached
	require.Eventually(t, func() bool {
		return strings.Contains(strings.Join(rec.last(), " "), ":30003/"+e.iface+"?application="+e.app+"&interface="+e.iface+"&methods=sayHello&side=provider&timeout=5000")
	}, 10*time.Second, 10*time.Millisecond)
	require.Equal(t, int64(2), ms.calls.Load())

	// Every instance gone: one empty:// providers URL.
	require.Equal(t, 2, r.cache.len(), "revisions r1 and r2 cached")
	e.DeleteTree(e.Services + "/" + e.app)
	rec.waitAddrs(t, "empty")
	require.Equal(t, []string{"empty://127.0.0.1/" + e.iface + "?category=providers&interface=" + e.iface + "&side=consumer"}, rec.last())
	require.Equal(t, 0, r.cache.len(), "revisions no instance carries are dropped")
}

func TestUnreachableMetadataServiceIsSkippedAndRetried(t *testing.T) {
	e := newEnv(t)
	ms, msPort := serveMetadata(t, e.app, e.metadata(e.app, "good", map[string]string{"methods": "sayHello"}))
	e.mapping(e.app)
	e.instance(e.app, 31001, "good", msPort)
	e.instance(e.app, 31002, "bad", closedPort(t)) // its metadata service is down
	e.instance(e.app, 31003, "good", msPort)

	r := e.open("", WithRetryPeriod(100*time.Millisecond))
	rec := &recorder{}
	require.NoError(t, r.Subscribe(ctx, e.consumer(""), rec))
	require.Equal(t, []string{"dubbo://127.0.0.1:31001", "dubbo://127.0.0.1:31003"}, rec.addrs())
	require.Contains(t, e.logs.String(), "metadata service unreachable, instance skipped")
	require.Contains(t, e.logs.String(), "instance=127.0.0.1:31002")

	// Retried after the retry period, still logged, the others untouched.
	require.Eventually(t, func() bool {
		return strings.Count(e.logs.String(), "instance=127.0.0.1:31002") >= 3
	}, 10*time.Second, 10*time.Millisecond)
	require.Equal(t, []string{"dubbo://127.0.0.1:31001", "dubbo://127.0.0.1:31003"}, rec.addrs())
	require.Equal(t, int64(1), ms.calls.Load())
}

func TestFailedFetchIsRetried(t *testing.T) {
	e := newEnv(t)
	e.mapping(e.app)
	e.instance(e.app, 32001, "r1", 1)
	var calls atomic.Int64
	fetch := FetcherFunc(func(_ context.Context, in *Instance, revision string) (*MetadataInfo, error) {
		if calls.Add(1) == 1 {
			return nil, errors.New("not yet")
		}
		return e.metadata(in.App, revision, nil), nil
	})
	r := e.open("", WithRetryPeriod(100*time.Millisecond), WithFetcher(fetch))
	rec := &recorder{}
	require.NoError(t, r.Subscribe(ctx, e.consumer(""), rec))
	require.Equal(t, []string{"empty"}, rec.addrs())
	rec.waitAddrs(t, "dubbo://127.0.0.1:32001")
	require.Equal(t, int64(2), calls.Load())
}

func TestMappingAndProvidedBy(t *testing.T) {
	e := newEnv(t)
	ms, msPort := serveMetadata(t, e.app, e.metadata(e.app, "r1", nil))
	e.instance(e.app, 33001, "r1", msPort)
	r := e.open("")

	// No mapping yet: empty, then the mapping appears and is followed.
	rec := &recorder{}
	require.NoError(t, r.Subscribe(ctx, e.consumer(""), rec))
	require.Equal(t, []string{"empty"}, rec.addrs())
	e.mapping("nobody", e.app)
	rec.waitAddrs(t, "dubbo://127.0.0.1:33001")
	e.mapping("nobody")
	rec.waitAddrs(t, "empty")

	// provided-by overrides the mapping.
	pb := &recorder{}
	require.NoError(t, r.Subscribe(ctx, e.consumer("&provided-by="+e.app), pb))
	require.Equal(t, []string{"dubbo://127.0.0.1:33001"}, pb.addrs())

	// An instance appearing under a mapped application that had no node.
	other := e.app + "-b"
	ms.set(e.metadata(other, "r1", nil)) // same revision name, other app: its own cache entry
	msOther := exportMetadataService(t, other, ms)
	e.mapping("nobody", other)
	rec.waitAddrs(t, "empty")
	e.instance(other, 33002, "r1", msOther)
	rec.waitAddrs(t, "dubbo://127.0.0.1:33002")
}

func TestBadInstanceNodeIsSkipped(t *testing.T) {
	e := newEnv(t)
	_, msPort := serveMetadata(t, e.app, e.metadata(e.app, "r1", nil))
	e.mapping(e.app)
	e.Put(e.Services+"/"+e.app+"/garbage", []byte("10.0.0.1"))
	e.instance(e.app, 34001, "r1", msPort)
	e.instance(e.app, 34002, "", msPort) // no revision
	r := e.open("")
	rec := &recorder{}
	require.NoError(t, r.Subscribe(ctx, e.consumer(""), rec))
	require.Equal(t, []string{"dubbo://127.0.0.1:34001"}, rec.addrs())
	require.Contains(t, e.logs.String(), "instance skipped: bad node")
	require.Contains(t, e.logs.String(), "instance skipped: no metadata revision")

	// Lookup sees the same, without empty://.
	got, err := r.Lookup(ctx, e.consumer(""))
	require.NoError(t, err)
	require.Len(t, got, 1)
	require.Equal(t, 34001, got[0].Port())
	got, err = r.Lookup(ctx, e.consumer("&group=other"))
	require.NoError(t, err)
	require.Empty(t, got)
}

func TestUnsubscribeStopsNotifications(t *testing.T) {
	e := newEnv(t)
	_, msPort := serveMetadata(t, e.app, e.metadata(e.app, "r1", nil))
	e.mapping(e.app)
	e.instance(e.app, 35001, "r1", msPort)
	r := e.open("")
	gone, kept := &recorder{}, &recorder{}
	require.NoError(t, r.Subscribe(ctx, e.consumer(""), gone))
	require.NoError(t, r.Subscribe(ctx, e.consumer(""), kept))
	require.NoError(t, r.Unsubscribe(ctx, e.consumer(""), gone))
	e.instance(e.app, 35002, "r1", msPort)
	kept.waitAddrs(t, "dubbo://127.0.0.1:35001", "dubbo://127.0.0.1:35002")
	require.Equal(t, 1, gone.count())
}

func TestRegistryContract(t *testing.T) {
	e := newEnv(t)
	r := e.open("")
	require.NoError(t, r.Register(ctx, e.consumer("")))
	require.NoError(t, r.Unregister(ctx, e.consumer("")))
	err := r.Register(ctx, common.MustParse("dubbo://127.0.0.1:20880/"+e.iface+"?interface="+e.iface))
	require.ErrorIs(t, err, ErrInvalid, "a provider URL must name its application")
	err = r.Subscribe(ctx, common.MustParse("consumer://127.0.0.1/*?interface=*"), &recorder{})
	require.ErrorIs(t, err, ErrUnsupported)
	require.Error(t, r.Subscribe(ctx, e.consumer(""), nil))

	_, err = registry.Open(common.MustParse("service-discovery-registry://127.0.0.1:2181?registry=etcd"))
	require.ErrorIs(t, err, ErrUnsupported)
	o, err := registry.Open(common.MustParse("service-discovery-registry://" + zktest.Addr(t) + "?registry=zookeeper"))
	require.NoError(t, err)
	require.NoError(t, o.Close())

	require.NoError(t, r.Close())
	require.ErrorIs(t, r.Subscribe(ctx, e.consumer(""), &recorder{}), ErrClosed)
}

// Storage type remote: the metadata is read from the metadata report node
// /<group>/metadata/<app>/<revision> (JSON, as Java's ZooKeeper metadata
// report writes it); a missing node leaves its instances out.
func TestRemoteMetadataFromTheReport(t *testing.T) {
	e := newEnv(t)
	e.mapping(e.app)
	report := `{"app":"` + e.app + `","revision":"rr","services":{"` + e.iface + `:dubbo":{"name":"` + e.iface +
		`","protocol":"dubbo","port":20880,"path":"` + e.iface + `","params":{"methods":"sayHello","side":"provider","release":"3.2.9"}}}}`
	e.Put("/"+e.Group+"/metadata/"+e.app+"/rr", []byte(report))
	remote := func(port int, rev string) {
		p := e.instance(e.app, port, rev, 1)
		data, _, err := e.Conn.Get(p)
		require.NoError(t, err)
		e.Put(p, []byte(strings.Replace(string(data), `"dubbo.metadata.storage-type":"local"`, `"dubbo.metadata.storage-type":"remote"`, 1)))
	}
	remote(38001, "rr")
	remote(38002, "missing")
	r := e.open("", WithFetcher(FetcherFunc(func(context.Context, *Instance, string) (*MetadataInfo, error) {
		return nil, errors.New("remote storage must not call the instance")
	})))
	rec := &recorder{}
	require.NoError(t, r.Subscribe(ctx, e.consumer(""), rec))
	require.Equal(t, []string{"dubbo://127.0.0.1:38001/" + e.iface + "?application=" + e.app + "&interface=" + e.iface +
		"&methods=sayHello&release=3.2.9&side=provider"}, rec.last())
	require.Contains(t, e.logs.String(), "metadata unavailable, instances skipped")
	require.Contains(t, e.logs.String(), "revision=missing")
}

// hangServer accepts connections and never answers: a metadata service
// that hangs.
type hangServer struct {
	ln       net.Listener
	accepted atomic.Int64
	mu       sync.Mutex
	conns    []net.Conn
	done     chan struct{}
}

func newHangServer(t *testing.T) *hangServer {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	h := &hangServer{ln: ln, done: make(chan struct{})}
	go func() {
		defer close(h.done)
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			h.accepted.Add(1)
			h.mu.Lock()
			h.conns = append(h.conns, c)
			h.mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		_ = ln.Close()
		<-h.done
		h.mu.Lock()
		for _, c := range h.conns {
			_ = c.Close()
		}
		h.mu.Unlock()
	})
	return h
}

func (h *hangServer) port() int { return h.ln.Addr().(*net.TCPAddr).Port }

// A metadata service that hangs holds up neither the first notification
// beyond the subscribe wait nor any later change of the other instances.
func TestHangingMetadataServiceBlocksNobody(t *testing.T) {
	e := newEnv(t)
	ms, msPort := serveMetadata(t, e.app, e.metadata(e.app, "good", nil))
	hang := newHangServer(t)
	e.mapping(e.app)
	e.instance(e.app, 39001, "good", msPort)
	e.instance(e.app, 39002, "hangs", hang.port())
	r := e.open("", WithMetadataTimeout(time.Minute), WithSubscribeWait(200*time.Millisecond))
	rec := &recorder{}
	require.NoError(t, r.Subscribe(ctx, e.consumer(""), rec))
	rec.waitAddrs(t, "dubbo://127.0.0.1:39001")

	// While the hanging call is still waiting, the others change freely.
	e.instance(e.app, 39003, "good", msPort)
	rec.waitAddrs(t, "dubbo://127.0.0.1:39001", "dubbo://127.0.0.1:39003")
	ms.set(e.metadata(e.app, "good2", map[string]string{"timeout": "7"}))
	e.instance(e.app, 39001, "good2", msPort)
	require.Eventually(t, func() bool {
		return strings.Contains(strings.Join(rec.last(), " "), ":39001/"+e.iface+"?application="+e.app+"&interface="+e.iface+"&side=provider&timeout=7")
	}, 10*time.Second, 10*time.Millisecond)
	require.Equal(t, int64(1), hang.accepted.Load(), "the hanging call is still the one in flight")
	require.Equal(t, 2, len(rec.addrs()))
}

// An instance moving to a revision not fetched yet stays listed with the
// metadata it had until the new one arrives.
func TestRevisionChangeKeepsTheInstanceMeanwhile(t *testing.T) {
	e := newEnv(t)
	e.mapping(e.app)
	e.instance(e.app, 39101, "r1", 1)
	release := make(chan struct{})
	var calls atomic.Int64
	fetch := FetcherFunc(func(ctx context.Context, in *Instance, revision string) (*MetadataInfo, error) {
		calls.Add(1)
		if revision == "r2" {
			select {
			case <-release:
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
		return e.metadata(in.App, revision, map[string]string{"rev": revision}), nil
	})
	r := e.open("", WithFetcher(fetch), WithSubscribeWait(time.Minute))
	rec := &recorder{}
	require.NoError(t, r.Subscribe(ctx, e.consumer(""), rec))
	require.Contains(t, rec.last()[0], "rev=r1")
	n := rec.count()

	e.instance(e.app, 39101, "r2", 1)
	require.Eventually(t, func() bool { return calls.Load() == 2 }, 10*time.Second, 10*time.Millisecond)
	require.Equal(t, n, rec.count(), "no notification while r2 is being fetched")
	close(release)
	require.Eventually(t, func() bool { l := rec.last(); return len(l) == 1 && strings.Contains(l[0], "rev=r2") }, 10*time.Second, 10*time.Millisecond)
}

// Two references to two services of one application share its metadata:
// one call for both subscriptions.
func TestSubscriptionsShareTheRevisionCache(t *testing.T) {
	e := newEnv(t)
	other := e.iface + "Other"
	md := e.metadata(e.app, "r1", map[string]string{"methods": "sayHello"})
	so := &ServiceInfo{Name: other, Protocol: "dubbo", Path: other, Params: map[string]string{"methods": "other"}}
	md.Services[so.matchKey()] = so
	ms, msPort := serveMetadata(t, e.app, md)
	e.mapping(e.app)
	e.Put("/"+e.Group+"/mapping/"+other, []byte(e.app))
	e.instance(e.app, 39201, "r1", msPort)
	r := e.open("")
	a, b := &recorder{}, &recorder{}
	require.NoError(t, r.Subscribe(ctx, e.consumer(""), a))
	require.NoError(t, r.Subscribe(ctx, common.MustParse("consumer://127.0.0.1/"+other+"?interface="+other+"&side=consumer"), b))
	require.Equal(t, []string{"dubbo://127.0.0.1:39201/" + e.iface + "?application=" + e.app + "&interface=" + e.iface + "&methods=sayHello&side=provider"}, a.last())
	require.Equal(t, []string{"dubbo://127.0.0.1:39201/" + other + "?application=" + e.app + "&interface=" + other + "&methods=other&side=provider"}, b.last())
	require.Equal(t, int64(1), ms.calls.Load())
}
