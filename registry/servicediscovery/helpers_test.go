package servicediscovery

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/internal/sdtest"
	"github.com/fleetrpc/fleet/internal/zktest"
	rpc "github.com/fleetrpc/fleet/protocol"
	"github.com/fleetrpc/fleet/protocol/dubbo"
	"github.com/fleetrpc/fleet/protocol/service"
	regprotocol "github.com/fleetrpc/fleet/registry/protocol"
)

var ctx = context.Background()

func randHex() string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// env is one test's corner of ZooKeeper: its own mapping root and services
// root, a raw session to write nodes as Dubbo 3 writes them, and names.
type env struct {
	*sdtest.Env // the session (Conn), the roots (Group, Services), Put, Delete
	t           testing.TB
	app         string
	iface       string
	logs        *syncBuffer
}

func newEnv(t testing.TB) *env {
	id := randHex()
	return &env{
		Env:   sdtest.New(t, zktest.Addr(t)),
		t:     t,
		app:   "app-" + id,
		iface: "org.fleet.test.Greeter" + id,
		logs:  &syncBuffer{},
	}
}

// mapping writes /<group>/mapping/<iface> = apps.
func (e *env) mapping(apps ...string) {
	e.Put("/"+e.Group+"/mapping/"+e.iface, []byte(strings.Join(apps, ",")))
}

// instance writes /services/<app>/<127.0.0.1:port> as Curator does for
// Dubbo 3: the service's endpoint is port, the metadata service msPort.
func (e *env) instance(app string, port int, revision string, msPort int) string {
	return e.InstanceWith(app, "127.0.0.1", port, map[string]string{
		RevisionKey:              revision,
		StorageTypeKey:           StorageLocal,
		EndpointsKey:             fmt.Sprintf(`[{"port":%d,"protocol":"dubbo"}]`, port),
		MetadataServiceParamsKey: fmt.Sprintf(`{"version":"1.0.0","dubbo":"2.0.2","release":"3.2.9","port":"%d","protocol":"dubbo"}`, msPort),
		"meta-v":                 "1.0.0",
	})
}

// open opens the registry of this env, closed at cleanup.
func (e *env) open(extra string, opts ...Option) *Registry {
	e.t.Helper()
	u := common.MustParse(fmt.Sprintf("zookeeper://%s?group=%s&rootPath=%s&timeout=3000&session=8000%s",
		zktest.Addr(e.t), e.Group, e.Services, extra))
	opts = append([]Option{WithLogger(slog.New(slog.NewTextHandler(e.logs, nil)))}, opts...)
	r, err := New(u, opts...)
	require.NoError(e.t, err)
	e.t.Cleanup(func() { require.NoError(e.t, r.Close()) })
	return r
}

// consumer is the subscription URL of the env's interface.
func (e *env) consumer(extra string) *common.URL {
	return common.MustParse("consumer://127.0.0.1/" + e.iface + "?interface=" + e.iface +
		"&category=providers,configurators,routers&side=consumer" + extra)
}

// serviceInfo is the env's interface in a MetadataInfo with the params.
func (e *env) metadata(app, revision string, params map[string]string) *MetadataInfo {
	si := &ServiceInfo{Name: e.iface, Protocol: "dubbo", Path: e.iface, Params: params}
	return &MetadataInfo{App: app, Revision: revision, Services: map[string]*ServiceInfo{si.matchKey(): si}}
}

// metadataService is a Go MetadataService answering getMetadataInfo from
// a table, counting calls.
type metadataService struct {
	mu    sync.Mutex
	infos map[string]*MetadataInfo
	calls atomic.Int64
}

func (m *metadataService) GetMetadataInfo(_ context.Context, revision string) (*MetadataInfo, error) {
	m.calls.Add(1)
	m.mu.Lock()
	defer m.mu.Unlock()
	md, ok := m.infos[revision]
	if !ok {
		return nil, fmt.Errorf("unknown revision %s", revision)
	}
	return md, nil
}

func (m *metadataService) set(md *MetadataInfo) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.infos == nil {
		m.infos = map[string]*MetadataInfo{}
	}
	m.infos[md.Revision] = md
}

// serveMetadata exports a MetadataService of app answering info and
// returns it (to change its answer) and its port.
func serveMetadata(t testing.TB, app string, info *MetadataInfo) (*metadataService, int) {
	t.Helper()
	ms := &metadataService{}
	ms.set(info)
	return ms, exportMetadataService(t, app, ms)
}

// exportMetadataService exports ms for app on a free loopback port over
// fleet's dubbo protocol and returns the port.
func exportMetadataService(t testing.TB, app string, ms *metadataService) int {
	t.Helper()
	p := dubbo.New(dubbo.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	t.Cleanup(p.Destroy)
	u := common.MustParse("dubbo://127.0.0.1:0/" + MetadataServiceInterface + "?interface=" + MetadataServiceInterface +
		"&group=" + app + "&version=" + MetadataServiceVersion)
	svc, err := service.New(u, ms)
	require.NoError(t, err)
	exp, err := p.Export(svc)
	require.NoError(t, err)
	return exp.(interface{ URL() *common.URL }).URL().Port()
}

// closedPort is a loopback port nothing listens on.
func closedPort(t *testing.T) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	port := ln.Addr().(*net.TCPAddr).Port
	require.NoError(t, ln.Close())
	return port
}

// recorder is a listener keeping every notification.
type recorder struct {
	mu    sync.Mutex
	lists [][]*common.URL
}

func (r *recorder) Notify(urls []*common.URL) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lists = append(r.lists, urls)
}

func (r *recorder) count() int { r.mu.Lock(); defer r.mu.Unlock(); return len(r.lists) }

// last is the last list as strings (nil before any).
func (r *recorder) last() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.lists) == 0 {
		return nil
	}
	var out []string
	for _, u := range r.lists[len(r.lists)-1] {
		out = append(out, u.String())
	}
	return out
}

// addrs is the last list's provider addresses (protocol://host:port), or
// "empty" for the placeholder.
func (r *recorder) addrs() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.lists) == 0 {
		return nil
	}
	var out []string
	for _, u := range r.lists[len(r.lists)-1] {
		if u.Protocol() == common.EmptyProtocol {
			out = append(out, "empty")
			continue
		}
		out = append(out, u.Protocol()+"://"+u.Address())
	}
	return out
}

func (r *recorder) waitAddrs(t *testing.T, want ...string) {
	t.Helper()
	require.Eventually(t, func() bool { return fmt.Sprint(r.addrs()) == fmt.Sprint(want) }, 10*time.Second, 10*time.Millisecond,
		"want %v", want)
}

// syncBuffer is a log destination safe for concurrent writers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// referThrough refers iface through the registry URL regURL (the refer
// param added) as the application fleet-consumer with check=true, on a
// registry protocol of its own made with opts and a quiet logger; both
// are released at cleanup.
func referThrough(t testing.TB, regURL *common.URL, iface string, opts ...regprotocol.Option) rpc.Invoker {
	t.Helper()
	consumer := regprotocol.New(append([]regprotocol.Option{regprotocol.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))}, opts...)...)
	t.Cleanup(consumer.Destroy)
	refer := common.ToQueryString(map[string]string{"interface": iface, "application": "fleet-consumer", "check": "true"})
	ref, err := consumer.Refer(context.Background(), regURL.WithParams(map[string]string{"refer": refer}))
	require.NoError(t, err)
	t.Cleanup(ref.Destroy)
	return ref
}
