package servicediscovery

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"slices"
	"sort"
	"strings"

	"github.com/go-zookeeper/zk"

	"github.com/fleetrpc/fleet/common"
)

// ZookeeperInstanceClass is the payload class Java Dubbo's
// ZookeeperServiceDiscovery writes in an instance node.
const ZookeeperInstanceClass = "org.apache.dubbo.registry.zookeeper.ZookeeperInstance"

// MetadataVersionKey is the instance metadata naming the MetadataService
// version (meta-v). fleet writes 1.0.0: consumers call the dubbo://
// MetadataService, never MetadataServiceV2 over triple.
const MetadataVersionKey = "meta-v"

// curatorDoc is an instance node as Curator's JsonInstanceSerializer
// writes it for Java Dubbo 3 (field order included).
type curatorDoc struct {
	Name                string         `json:"name"`
	ID                  string         `json:"id"`
	Address             string         `json:"address"`
	Port                int            `json:"port"`
	SSLPort             *int           `json:"sslPort"`
	Payload             curatorPayload `json:"payload"`
	RegistrationTimeUTC int64          `json:"registrationTimeUTC"`
	ServiceType         string         `json:"serviceType"`
	URISpec             *struct{}      `json:"uriSpec"`
}

type curatorPayload struct {
	Class    string            `json:"@class"`
	ID       string            `json:"id"`
	Name     string            `json:"name"`
	Metadata map[string]string `json:"metadata"`
}

// instanceMetadata is the metadata of a's instance at revision info: the
// revision, storage type local, the endpoints (one per protocol, the
// first port registered for it), the MetadataService's URL params, meta-v
// and the instance params Java copies from the providers (timestamp,
// heartbeat.timeout, ipv6; the last provider's value wins).
func instanceMetadata(a *appInstance, urls []*common.URL, info *MetadataInfo) map[string]string {
	md := map[string]string{
		RevisionKey:        info.Revision,
		StorageTypeKey:     StorageLocal,
		MetadataVersionKey: MetadataServiceVersion,
	}
	ports := map[string]int{}
	for _, u := range urls {
		if _, ok := ports[u.Protocol()]; !ok {
			ports[u.Protocol()] = u.Port()
		}
		for _, k := range instanceParams {
			if v := u.ParamOr(k, ""); v != "" {
				md[k] = v
			}
		}
	}
	eps := make([]endpoint, 0, len(ports))
	for proto, port := range ports {
		eps = append(eps, endpoint{Port: port, Protocol: proto})
	}
	sort.Slice(eps, func(i, j int) bool { return eps[i].Protocol < eps[j].Protocol })
	b, _ := json.Marshal(eps) // plain structs: cannot fail
	md[EndpointsKey] = string(b)
	b, _ = json.Marshal(metadataServiceParams(a.port))
	md[MetadataServiceParamsKey] = string(b)
	return md
}

// instanceDoc is a's node data at revision info.
func instanceDoc(a *appInstance, urls []*common.URL, info *MetadataInfo) []byte {
	id := path.Base(a.path)
	doc := curatorDoc{
		Name: a.app, ID: id, Address: bareHost(a.host), Port: a.port,
		Payload: curatorPayload{
			Class: ZookeeperInstanceClass, ID: id, Name: a.app,
			Metadata: instanceMetadata(a, urls, info),
		},
		RegistrationTimeUTC: a.regTime,
		ServiceType:         "DYNAMIC",
	}
	b, _ := json.Marshal(doc) // strings and numbers: cannot fail
	return b
}

// writeInstance writes a's instance node for urls at revision info: created
// ephemeral when missing, replaced when another session owns it (one that
// expired, its node not yet gone), else overwritten. With update (the
// node was written by this session) it is overwritten at once.
func (r *Registry) writeInstance(ctx context.Context, a *appInstance, urls []*common.URL, info *MetadataInfo, update bool) error {
	if n, ok := r.src.(*nacosSource); ok { // nacos_publish.go
		return n.writeInstance(ctx, a, urls, info)
	}
	if err := r.waitSession(ctx); err != nil {
		return fmt.Errorf("write %s: %w", a.path, err)
	}
	data := instanceDoc(a, urls, info)
	if update { // written before by this session: update it in one round trip
		_, err := r.conn.Set(a.path, data, -1)
		if err == nil {
			return nil
		}
		if !errors.Is(err, zk.ErrNoNode) {
			return fmt.Errorf("update %s: %w", a.path, err)
		}
	}
	if err := r.ensureParents(a.path); err != nil {
		return err
	}
	for range 3 {
		_, err := r.conn.Create(a.path, data, zk.FlagEphemeral, zk.WorldACL(zk.PermAll))
		if err == nil {
			return nil
		}
		if !errors.Is(err, zk.ErrNodeExists) {
			return fmt.Errorf("create %s: %w", a.path, err)
		}
		_, stat, err := r.conn.Get(a.path)
		if errors.Is(err, zk.ErrNoNode) {
			continue
		}
		if err != nil {
			return fmt.Errorf("read %s: %w", a.path, err)
		}
		if stat.EphemeralOwner != r.conn.SessionID() {
			if err := r.conn.Delete(a.path, stat.Version); err != nil && !errors.Is(err, zk.ErrNoNode) && !errors.Is(err, zk.ErrBadVersion) {
				return fmt.Errorf("delete %s of an old session: %w", a.path, err)
			}
			continue
		}
		if _, err := r.conn.Set(a.path, data, stat.Version); err != nil {
			if errors.Is(err, zk.ErrNoNode) || errors.Is(err, zk.ErrBadVersion) {
				continue
			}
			return fmt.Errorf("update %s: %w", a.path, err)
		}
		return nil
	}
	return fmt.Errorf("write %s: node keeps changing", a.path)
}

// ensureInstance writes a's node unless it already holds a's current
// data, owned by this session.
func (r *Registry) ensureInstance(ctx context.Context, a *appInstance) error {
	if n, ok := r.src.(*nacosSource); ok { // the client keeps it registered
		return n.writeInstance(ctx, a, a.urls, a.info)
	}
	if err := r.waitSession(ctx); err != nil {
		return fmt.Errorf("write %s: %w", a.path, err)
	}
	data, stat, err := r.conn.Get(a.path)
	if err != nil && !errors.Is(err, zk.ErrNoNode) {
		return fmt.Errorf("read %s: %w", a.path, err)
	}
	ours := err == nil && stat.EphemeralOwner == r.conn.SessionID()
	if ours && sameInstance(data, instanceDoc(a, a.urls, a.info)) {
		return nil
	}
	return r.writeInstance(ctx, a, a.urls, a.info, ours)
}

// sameInstance reports whether two node documents are the same.
func sameInstance(a, b []byte) bool { return bytes.Equal(a, b) }

// deleteInstance deletes an instance node; a missing one is no error.
func (r *Registry) deleteInstance(ctx context.Context, p string) error {
	if n, ok := r.src.(*nacosSource); ok {
		return n.deleteInstance(ctx, p)
	}
	if err := r.waitSession(ctx); err != nil {
		return fmt.Errorf("delete %s: %w", p, err)
	}
	if err := r.conn.Delete(p, -1); err != nil && !errors.Is(err, zk.ErrNoNode) {
		return fmt.Errorf("delete %s: %w", p, err)
	}
	return nil
}

// ensureParents creates the persistent ancestors of p that are missing.
func (r *Registry) ensureParents(p string) error {
	dir := path.Dir(p)
	if ok, _, err := r.conn.Exists(dir); err == nil && ok {
		return nil
	}
	cur := ""
	for _, part := range strings.Split(strings.Trim(dir, "/"), "/") {
		cur += "/" + part
		if _, err := r.conn.Create(cur, nil, 0, zk.WorldACL(zk.PermAll)); err != nil && !errors.Is(err, zk.ErrNodeExists) {
			return fmt.Errorf("create %s: %w", cur, err)
		}
	}
	return nil
}

// publishMapping adds app to the service-name mapping of iface
// (/<group>/mapping/<iface>, a comma list), as Java's
// ZookeeperMetadataReport.registerServiceAppMapping does: read with its
// version, append, write only if the version is unchanged, again on a
// conflict; the other applications' names are kept, and nothing is
// written when app is listed already.
func (r *Registry) publishMapping(ctx context.Context, iface, app string) error {
	if n, ok := r.src.(*nacosSource); ok {
		return n.publishMapping(ctx, iface, app)
	}
	if err := r.waitSession(ctx); err != nil {
		return fmt.Errorf("mapping of %s: %w", iface, err)
	}
	p := r.mappingRoot + "/" + iface
	for range 10 {
		data, stat, err := r.conn.Get(p)
		if errors.Is(err, zk.ErrNoNode) {
			if err := r.ensureParents(p); err != nil {
				return fmt.Errorf("mapping of %s: %w", iface, err)
			}
			_, err = r.conn.Create(p, []byte(app), 0, zk.WorldACL(zk.PermAll))
			if errors.Is(err, zk.ErrNodeExists) {
				continue
			}
			if err != nil {
				return fmt.Errorf("mapping of %s: create %s: %w", iface, p, err)
			}
			return nil
		}
		if err != nil {
			return fmt.Errorf("mapping of %s: read %s: %w", iface, p, err)
		}
		old := strings.TrimSpace(string(data))
		if slices.Contains(parseMapping(old), app) {
			return nil
		}
		next := app
		if old != "" {
			next = old + "," + app
		}
		_, err = r.conn.Set(p, []byte(next), stat.Version)
		if errors.Is(err, zk.ErrBadVersion) || errors.Is(err, zk.ErrNoNode) {
			continue
		}
		if err != nil {
			return fmt.Errorf("mapping of %s: write %s: %w", iface, p, err)
		}
		return nil
	}
	return fmt.Errorf("mapping of %s: %s keeps changing", iface, p)
}
