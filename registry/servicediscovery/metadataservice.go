package servicediscovery

import (
	"context"
	"fmt"
	"strconv"
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

// localMetadataService is one application's org.apache.dubbo.metadata.MetadataService
// (group = the application, version 1.0.0): getMetadataInfo(revision)
// answers the application's MetadataInfo at that revision, as Java's
// MetadataServiceDelegation does. It knows the current revision and the
// one before it (consumers that read the instance node just before a
// change may still ask for that one).
type localMetadataService struct {
	served atomic.Pointer[servedMetadata]
}

// servedMetadata is what a localMetadataService answers; immutable.
type servedMetadata struct {
	cur, prev *MetadataInfo
}

// GetMetadataInfo is called by consumers as getMetadataInfo(String). An
// unknown or empty revision answers null, as Java's does.
func (m *localMetadataService) GetMetadataInfo(_ context.Context, revision string) (any, error) {
	s := m.served.Load()
	switch {
	case s == nil || revision == "":
		return nil, nil
	case s.cur != nil && s.cur.Revision == revision:
		return s.cur, nil
	case s.prev != nil && s.prev.Revision == revision:
		return s.prev, nil
	}
	return nil, nil
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

// exportLocalMetadataService exports ms for app at host:port through p.
func exportLocalMetadataService(p protocol.Protocol, app, host string, port int, ms *localMetadataService) (protocol.Exporter, error) {
	u := metadataServiceURL(app, host, port)
	inv, err := service.New(u, ms)
	if err != nil {
		return nil, fmt.Errorf("metadata service of %s: %w", app, err)
	}
	exp, err := p.Export(inv)
	if err != nil {
		return nil, fmt.Errorf("export the metadata service of %s at %s: %w", app, u.Address(), err)
	}
	return exp, nil
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
