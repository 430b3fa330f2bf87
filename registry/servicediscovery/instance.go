package servicediscovery

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"sort"
	"strconv"

	"github.com/fleetrpc/fleet/common"
)

// Metadata keys of an application instance.
const (
	RevisionKey              = "dubbo.metadata.revision"
	StorageTypeKey           = "dubbo.metadata.storage-type"
	EndpointsKey             = "dubbo.endpoints"
	MetadataServiceParamsKey = "dubbo.metadata-service.url-params"

	StorageLocal  = "local"
	StorageRemote = "remote"
)

// Instance is one application instance as Curator's service discovery
// stores it under /services/<app>/<id>. Immutable once parsed.
type Instance struct {
	ID       string            // the node's id (usually ip:port)
	App      string            // the application (the node's name)
	Host     string            // address
	Port     int               // the instance's port
	Metadata map[string]string // payload.metadata

	endpoints []endpoint // dubbo.endpoints, parsed
}

// curatorInstance is the JSON document Curator writes.
type curatorInstance struct {
	Name    string `json:"name"`
	ID      string `json:"id"`
	Address string `json:"address"`
	Port    *int   `json:"port"`
	Payload *struct {
		Metadata map[string]string `json:"metadata"`
	} `json:"payload"`
}

// parseInstance reads one instance node's data. app is the application
// the node is filed under; a document naming another one is refused.
func parseInstance(app string, data []byte) (*Instance, error) {
	var c curatorInstance
	if err := json.Unmarshal(data, &c); err != nil {
		return nil, fmt.Errorf("instance JSON: %w", err)
	}
	if c.Address == "" {
		return nil, errors.New("instance has no address")
	}
	if c.Port == nil || *c.Port <= 0 || *c.Port > 65535 {
		return nil, errors.New("instance has no valid port")
	}
	if c.Name != "" && c.Name != app {
		return nil, fmt.Errorf("instance of application %q filed under %q", c.Name, app)
	}
	in := &Instance{ID: c.ID, App: app, Host: c.Address, Port: *c.Port, Metadata: map[string]string{}}
	if c.Payload != nil && c.Payload.Metadata != nil {
		in.Metadata = c.Payload.Metadata
	}
	if in.ID == "" {
		in.ID = net.JoinHostPort(in.Host, strconv.Itoa(in.Port))
	}
	in.endpoints = parseEndpoints(in.Metadata[EndpointsKey])
	return in, nil
}

// parseEndpoints reads dubbo.endpoints; nil when absent or malformed.
func parseEndpoints(s string) []endpoint {
	if s == "" {
		return nil
	}
	var eps []endpoint
	if json.Unmarshal([]byte(s), &eps) != nil {
		return nil
	}
	return eps
}

// Revision is the instance's metadata revision ("" when it has none).
func (in *Instance) Revision() string { return in.Metadata[RevisionKey] }

// StorageType is where its metadata lives: local (the default: ask the
// instance) or remote (the metadata report).
func (in *Instance) StorageType() string {
	if s := in.Metadata[StorageTypeKey]; s != "" {
		return s
	}
	return StorageLocal
}

// endpoint is one element of dubbo.endpoints.
type endpoint struct {
	Port     int    `json:"port"`
	Protocol string `json:"protocol"`
}

// EndpointPort is the port the instance serves protocol on, from
// dubbo.endpoints; 0 when it lists none for it.
func (in *Instance) EndpointPort(protocol string) int {
	eps := in.endpoints
	if eps == nil { // an Instance not made by parseInstance
		eps = parseEndpoints(in.Metadata[EndpointsKey])
	}
	for _, e := range eps {
		if e.Protocol == protocol && e.Port > 0 {
			return e.Port
		}
	}
	return 0
}

// MetadataServiceURL is the URL of the instance's MetadataService:
// protocol and port from dubbo.metadata-service.url-params (flat, as Dubbo
// 3.2 and dubbo-go write it, or keyed by protocol, as Dubbo 3.0 did), group
// the application, version 1.0.0. Without the params it is the dubbo
// endpoint, else the instance's port.
func (in *Instance) MetadataServiceURL() (*common.URL, error) {
	params := map[string]string{}
	if s := in.Metadata[MetadataServiceParamsKey]; s != "" {
		var flat map[string]any
		if err := json.Unmarshal([]byte(s), &flat); err != nil {
			return nil, fmt.Errorf("instance %s: %s: %w", in.ID, MetadataServiceParamsKey, err)
		}
		nested := false
		for k, v := range flat {
			if m, ok := v.(map[string]any); ok && !nested {
				nested = true
				params = map[string]string{"protocol": k}
				for k2, v2 := range m {
					params[k2] = fmt.Sprint(v2)
				}
			}
		}
		if !nested {
			for k, v := range flat {
				params[k] = fmt.Sprint(v)
			}
		}
	}
	proto := params["protocol"]
	if proto == "" {
		proto = "dubbo"
	}
	port := 0
	if p := params["port"]; p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n <= 0 || n > 65535 {
			return nil, fmt.Errorf("instance %s: metadata service port %q", in.ID, p)
		}
		port = n
	}
	if port == 0 {
		port = in.EndpointPort(proto)
	}
	if port == 0 {
		port = in.Port
	}
	q := map[string]string{}
	keys := make([]string, 0, len(params))
	for k := range params {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		switch k {
		case "protocol", "port", "group", "interface", "path":
		default:
			q[k] = params[k]
		}
	}
	q[common.InterfaceKey] = MetadataServiceInterface
	q[common.GroupKey] = in.App
	if q[common.VersionKey] == "" {
		q[common.VersionKey] = MetadataServiceVersion
	}
	return common.NewURL(proto, in.Host, port, MetadataServiceInterface, q), nil
}
