// Package sdtest writes what Dubbo 3 providers write in ZooKeeper for
// application-level discovery, for tests: the service-name mapping
// (/<group>/mapping/<interface>), application instances as Curator's
// service discovery writes them (/<services>/<app>/<ip:port>) and their
// metadata in the metadata report (/<group>/metadata/<app>/<revision>,
// storage type remote), so a test needs no MetadataService. Each Env has a
// group and an instances root of its own and removes them at cleanup.
package sdtest

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"path"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/stretchr/testify/require"
)

// Instance metadata keys Dubbo 3 writes (registry/servicediscovery reads them).
const (
	RevisionKey    = "dubbo.metadata.revision"
	StorageTypeKey = "dubbo.metadata.storage-type"
	EndpointsKey   = "dubbo.endpoints"
)

// Env is one test's corner of a ZooKeeper.
type Env struct {
	t        testing.TB
	Conn     *zk.Conn // the Env's own session, to write and read nodes
	Group    string   // the root of mappings and metadata: /<Group>/mapping, /<Group>/metadata
	Services string   // the instances' root, /<...>
}

// New connects to the ZooKeeper at addr and picks fresh roots.
func New(t testing.TB, addr string) *Env {
	t.Helper()
	var b [4]byte
	_, _ = rand.Read(b[:])
	id := hex.EncodeToString(b[:])
	conn, events, err := zk.Connect([]string{addr}, 8*time.Second, zk.WithLogInfo(false), zk.WithLogger(silent{}))
	require.NoError(t, err)
	e := &Env{t: t, Conn: conn, Group: "fleet-sdtest-" + id, Services: "/fleet-sdtest-services-" + id}
	t.Cleanup(func() {
		e.DeleteTree("/" + e.Group)
		e.DeleteTree(e.Services)
		conn.Close()
		for range events { // until the client's goroutines are done
		}
	})
	return e
}

// Params are the registry URL params that point a registry at the Env's
// roots: group=<Group>&rootPath=<Services>.
func (e *Env) Params() string { return "group=" + e.Group + "&rootPath=" + e.Services }

// Mapping writes /<Group>/mapping/<iface> = the applications, comma-separated.
func (e *Env) Mapping(iface string, apps ...string) {
	e.t.Helper()
	e.Put("/"+e.Group+"/mapping/"+iface, []byte(strings.Join(apps, ",")))
}

// Service is one service of an application's metadata.
type Service struct {
	Interface, Group, Version string
	Protocol                  string // default dubbo
	Params                    map[string]string
}

// Metadata writes the metadata of app at revision into the metadata
// report, as JSON (Java's MetadataInfo): the services, keyed as Dubbo keys
// them (group/interface:version:protocol).
func (e *Env) Metadata(app, revision string, services ...Service) {
	e.t.Helper()
	m := map[string]any{}
	for _, s := range services {
		proto := s.Protocol
		if proto == "" {
			proto = "dubbo"
		}
		key := s.Interface
		if s.Group != "" {
			key = s.Group + "/" + key
		}
		if s.Version != "" {
			key += ":" + s.Version
		}
		key += ":" + proto
		m[key] = map[string]any{"name": s.Interface, "group": s.Group, "version": s.Version,
			"protocol": proto, "path": s.Interface, "params": s.Params}
	}
	b, err := json.Marshal(map[string]any{"app": app, "revision": revision, "services": m})
	require.NoError(e.t, err)
	e.Put("/"+e.Group+"/metadata/"+app+"/"+revision, b)
}

// Instance writes the instance of app at host:port, serving protocol on
// port, with its metadata at revision in the metadata report; it returns
// the node's path (to Delete).
func (e *Env) Instance(app, host string, port int, protocol, revision string) string {
	e.t.Helper()
	return e.InstanceWith(app, host, port, map[string]string{
		RevisionKey:    revision,
		StorageTypeKey: "remote",
		EndpointsKey:   fmt.Sprintf(`[{"port":%d,"protocol":%q}]`, port, protocol),
	})
}

// InstanceWith writes the instance of app at host:port with the given
// instance metadata, in Curator's JSON as Dubbo 3 writes it; it returns the
// node's path (to Delete).
func (e *Env) InstanceWith(app, host string, port int, meta map[string]string) string {
	e.t.Helper()
	id := host + ":" + strconv.Itoa(port)
	doc := map[string]any{
		"name": app, "id": id, "address": host, "port": port, "sslPort": nil,
		"payload": map[string]any{
			"@class": "org.apache.dubbo.registry.zookeeper.ZookeeperInstance",
			"id":     id, "name": app, "metadata": meta,
		},
		"registrationTimeUTC": time.Now().UnixMilli(), "serviceType": "DYNAMIC", "uriSpec": nil,
	}
	b, err := json.Marshal(doc)
	require.NoError(e.t, err)
	p := e.Services + "/" + app + "/" + id
	e.Put(p, b)
	return p
}

// Put creates or overwrites a persistent node, parents included.
func (e *Env) Put(p string, data []byte) {
	e.t.Helper()
	cur := ""
	for _, s := range strings.Split(strings.TrimPrefix(path.Dir(p), "/"), "/") {
		cur += "/" + s
		if _, err := e.Conn.Create(cur, nil, 0, zk.WorldACL(zk.PermAll)); err != nil && err != zk.ErrNodeExists {
			require.NoError(e.t, err)
		}
	}
	_, err := e.Conn.Create(p, data, 0, zk.WorldACL(zk.PermAll))
	if err == zk.ErrNodeExists {
		_, err = e.Conn.Set(p, data, -1)
	}
	require.NoError(e.t, err)
}

// Delete removes a node.
func (e *Env) Delete(p string) {
	e.t.Helper()
	require.NoError(e.t, e.Conn.Delete(p, -1))
}

// Exists reports whether a node exists.
func (e *Env) Exists(p string) bool {
	e.t.Helper()
	ok, _, err := e.Conn.Exists(p)
	require.NoError(e.t, err)
	return ok
}

// DeleteTree removes the node at p and everything below it; a missing node
// is no error.
func (e *Env) DeleteTree(p string) {
	children, _, err := e.Conn.Children(p)
	if err != nil {
		return
	}
	for _, c := range children {
		e.DeleteTree(p + "/" + c)
	}
	_ = e.Conn.Delete(p, -1)
}

type silent struct{}

func (silent) Printf(string, ...any) {}
