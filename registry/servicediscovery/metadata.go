package servicediscovery

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"

	hessian "github.com/apache/dubbo-go-hessian2"

	"github.com/fleetrpc/fleet/internal/convert"
)

func init() {
	hessian.RegisterPOJO(&MetadataInfo{})
	hessian.RegisterPOJO(&ServiceInfo{})
}

// Java names of the metadata service and its result types.
const (
	MetadataServiceInterface = "org.apache.dubbo.metadata.MetadataService"
	MetadataServiceVersion   = "1.0.0"
	MetadataInfoClass        = "org.apache.dubbo.metadata.MetadataInfo"
	ServiceInfoClass         = "org.apache.dubbo.metadata.MetadataInfo$ServiceInfo"
)

// MetadataInfo is what a provider application exports at one revision:
// Java's org.apache.dubbo.metadata.MetadataInfo. Services are keyed by
// Dubbo's match key (group/interface:version:protocol). A MetadataInfo held
// by the cache is shared and must not be modified.
type MetadataInfo struct {
	App      string                  `json:"app,omitempty" hessian:"app"`
	Revision string                  `json:"revision,omitempty" hessian:"revision"`
	Tag      string                  `json:"tag,omitempty" hessian:"tag"`
	Services map[string]*ServiceInfo `json:"services,omitempty" hessian:"services"`
}

// JavaClassName implements hessian.POJO.
func (*MetadataInfo) JavaClassName() string { return MetadataInfoClass }

// ServiceInfo is one exported service: Java's MetadataInfo$ServiceInfo.
type ServiceInfo struct {
	Name     string            `json:"name,omitempty" hessian:"name"`
	Group    string            `json:"group,omitempty" hessian:"group"`
	Version  string            `json:"version,omitempty" hessian:"version"`
	Protocol string            `json:"protocol,omitempty" hessian:"protocol"`
	Port     int               `json:"port,omitempty" hessian:"port"`
	Path     string            `json:"path,omitempty" hessian:"path"`
	Params   map[string]string `json:"params,omitempty" hessian:"params"`
}

// JavaClassName implements hessian.POJO.
func (*ServiceInfo) JavaClassName() string { return ServiceInfoClass }

var metadataInfoType = reflect.TypeOf(MetadataInfo{})

// toMetadataInfo turns a decoded getMetadataInfo result into a
// MetadataInfo: this package's POJO, a map (the class was not registered
// here) or another program's struct registered first for the same Java
// class (dubbo-go's, in a binary holding both), through its JSON form.
func toMetadataInfo(v any) (*MetadataInfo, error) {
	switch m := v.(type) {
	case nil:
		return nil, fmt.Errorf("no metadata (null)")
	case *MetadataInfo:
		return m, nil
	case MetadataInfo:
		return &m, nil
	}
	if rv, err := convert.To(v, metadataInfoType); err == nil {
		m := rv.Interface().(MetadataInfo)
		return &m, nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("metadata of type %T: %w", v, err)
	}
	var m MetadataInfo
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("metadata of type %T: %w", v, err)
	}
	return &m, nil
}

// parseRemoteMetadata reads a MetadataInfo as a metadata report stores it
// (JSON).
func parseRemoteMetadata(b []byte) (*MetadataInfo, error) {
	var m MetadataInfo
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("metadata JSON: %w", err)
	}
	return &m, nil
}

// matchKey is Dubbo's key of a service in MetadataInfo.Services:
// group/interface:version:protocol, parts omitted when empty.
func (s *ServiceInfo) matchKey() string {
	var b strings.Builder
	if s.Group != "" {
		b.WriteString(s.Group)
		b.WriteByte('/')
	}
	b.WriteString(s.Name)
	if s.Version != "" {
		b.WriteByte(':')
		b.WriteString(s.Version)
	}
	if s.Protocol != "" {
		b.WriteByte(':')
		b.WriteString(s.Protocol)
	}
	return b.String()
}
