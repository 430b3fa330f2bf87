package servicediscovery

import (
	"context"
	"fmt"
	"net"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/protocol"
	"github.com/fleetrpc/fleet/protocol/service"
)

// MetadataServiceMethod is the one method of the MetadataService that
// Dubbo 3 consumers (Java and dubbo-go) call.
const MetadataServiceMethod = "getMetadataInfo"

// WithMetadataProtocol sets the protocol the provider side exports each
// application's MetadataService through, on the port of the
// application's first dubbo:// provider. It must be the protocol that
// exported the providers, so that the MetadataService shares their server
// (protocol/dubbo shares one server per address among the services a
// Protocol exports). Default: the process's registered dubbo protocol
// (protocol.Get("dubbo")), the one config and registry/protocol export
// through.
func WithMetadataProtocol(p protocol.Protocol) Option {
	return func(o *options) { o.metadataProto = p }
}

// localMetadataService is what one Registry's MetadataService answers
// for one application: the current MetadataInfo and the one before it
// (consumers that read the instance node just before a change may still
// ask for that one).
type localMetadataService struct {
	served atomic.Pointer[servedMetadata]
}

// servedMetadata is what a localMetadataService answers; immutable.
type servedMetadata struct {
	cur, prev *MetadataInfo
}

// lookup is the metadata at revision, nil when unknown.
func (m *localMetadataService) lookup(revision string) *MetadataInfo {
	s := m.served.Load()
	switch {
	case s == nil || revision == "":
		return nil
	case s.cur != nil && s.cur.Revision == revision:
		return s.cur
	case s.prev != nil && s.prev.Revision == revision:
		return s.prev
	}
	return nil
}

// set makes md the current metadata; the current one becomes the previous
// one unless it has the same revision.
func (m *localMetadataService) set(md *MetadataInfo) {
	old := m.served.Load()
	next := &servedMetadata{cur: md}
	if old != nil {
		next.prev = old.prev
		if old.cur != nil && old.cur.Revision != md.Revision {
			next.prev = old.cur
		}
	}
	m.served.Store(next)
}

// restore puts back what was served before a failed change.
func (m *localMetadataService) restore(s *servedMetadata) { m.served.Store(s) }

// sharedMetadataService is an application's
// org.apache.dubbo.metadata.MetadataService (group = the application,
// version 1.0.0) as exported at one address through one protocol. Java
// exports one per application however many registries it registers in;
// here every Registry of the process registering the application there
// shares it, and getMetadataInfo(revision) answers from any of them (as
// Java's MetadataServiceDelegation searches the MetadataInfo of every
// registry).
type sharedMetadataService struct {
	exp     protocol.Exporter                       // immutable
	sources atomic.Pointer[[]*localMetadataService] // copy on write under sharedServices.mu
}

// GetMetadataInfo is called by consumers as getMetadataInfo(String). An
// unknown or empty revision answers null, as Java's does.
func (s *sharedMetadataService) GetMetadataInfo(_ context.Context, revision string) (any, error) {
	if srcs := s.sources.Load(); srcs != nil {
		for _, src := range *srcs {
			if md := src.lookup(revision); md != nil {
				return md, nil
			}
		}
	}
	return nil, nil
}

// msKey names a sharedMetadataService.
type msKey struct {
	proto     protocol.Protocol
	app, addr string
}

// sharedServices are the MetadataServices this process exports.
var sharedServices = struct {
	mu sync.Mutex
	m  map[msKey]*sharedMetadataService
}{m: map[msKey]*sharedMetadataService{}}

// acquireMetadataService makes src answer in app's MetadataService at
// host:port through p, exporting it when it is the first source there.
// release withdraws src, unexporting the service after its last source.
func acquireMetadataService(p protocol.Protocol, app, host string, port int, src *localMetadataService) (release func(), err error) {
	k := msKey{proto: p, app: app, addr: net.JoinHostPort(host, strconv.Itoa(port))}
	sharedServices.mu.Lock()
	defer sharedServices.mu.Unlock()
	s := sharedServices.m[k]
	if s == nil {
		s = &sharedMetadataService{}
		u := metadataServiceURL(app, host, port)
		inv, err := service.New(u, s)
		if err != nil {
			return nil, fmt.Errorf("metadata service of %s: %w", app, err)
		}
		if s.exp, err = p.Export(inv); err != nil {
			return nil, fmt.Errorf("export the metadata service of %s at %s: %w", app, u.Address(), err)
		}
		sharedServices.m[k] = s
	}
	var srcs []*localMetadataService
	if old := s.sources.Load(); old != nil {
		srcs = slices.Clone(*old)
	}
	srcs = append(srcs, src)
	s.sources.Store(&srcs)
	var once sync.Once
	return func() { once.Do(func() { releaseMetadataService(k, s, src) }) }, nil
}

func releaseMetadataService(k msKey, s *sharedMetadataService, src *localMetadataService) {
	sharedServices.mu.Lock()
	srcs := slices.DeleteFunc(slices.Clone(*s.sources.Load()), func(x *localMetadataService) bool { return x == src })
	s.sources.Store(&srcs)
	last := len(srcs) == 0
	if last {
		delete(sharedServices.m, k)
	}
	sharedServices.mu.Unlock()
	if last {
		s.exp.Unexport()
	}
}

// metadataServiceURL is the URL app's MetadataService is exported under
// at host:port.
func metadataServiceURL(app, host string, port int) *common.URL {
	return common.NewURL("dubbo", host, port, MetadataServiceInterface, map[string]string{
		common.InterfaceKey:   MetadataServiceInterface,
		common.GroupKey:       app,
		common.VersionKey:     MetadataServiceVersion,
		common.MethodsKey:     MetadataServiceMethod,
		common.SideKey:        common.ProviderSide,
		common.ApplicationKey: app,
		"dubbo":               "2.0.2",
	})
}

// metadataServiceParams is the instance metadata
// dubbo.metadata-service.url-params: a flat JSON object of strings, as
// Java Dubbo 3.1+ writes it (dubbo-go v3.3.0 reads it into a
// map[string]string and needs protocol; it calls over dubbo:// with the
// version param, and would use MetadataServiceV2 only for tri with
// meta-v 2.0.0).
func metadataServiceParams(port int) map[string]string {
	return map[string]string{
		"connections":  "1",
		"version":      MetadataServiceVersion,
		"dubbo":        "2.0.2",
		common.SideKey: common.ProviderSide,
		common.PortKey: strconv.Itoa(port),
		"protocol":     "dubbo",
	}
}
