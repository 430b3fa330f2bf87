package servicediscovery

import (
	"crypto/md5"
	"encoding/hex"
	"sort"
	"strconv"
	"strings"

	"github.com/fleetrpc/fleet/common"
)

// EmptyRevision is the revision of an application exporting nothing
// (Java's RevisionResolver.EMPTY_REVISION).
const EmptyRevision = "0"

// Revision is the metadata revision of app exporting services, computed as
// Java Dubbo 3.2/3.3 computes it (MetadataInfo.calAndGetRevision): the
// lower-case hex MD5 of the application name followed by, for each
// service in the order of its match key, the match key, the port, the path
// and the params as Java prints a TreeMap ("{k1=v1, k2=v2}"). No services
// is EmptyRevision. (dubbo-go v3.3.0 sums CRC32s of interface and method
// names instead; its consumers only compare revisions, so either works
// with them, but Java's is the one Java consumers and tools expect.)
func Revision(app string, services map[string]*ServiceInfo) string {
	if len(services) == 0 {
		return EmptyRevision
	}
	keys := make([]string, 0, len(services))
	for k, s := range services {
		if s != nil {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	size := len(app)
	for _, k := range keys {
		size += services[k].descSize()
	}
	buf := make([]byte, 0, size)
	buf = append(buf, app...)
	for _, k := range keys {
		buf = services[k].appendDesc(buf)
	}
	sum := md5.Sum(buf)
	return hex.EncodeToString(sum[:])
}

// descSize is about the length of s's desc string (never less).
func (s *ServiceInfo) descSize() int {
	n := len(s.Group) + len(s.Name) + len(s.Version) + len(s.Protocol) + len(s.Path) + 16
	for k, v := range s.Params {
		n += len(k) + len(v) + 3
	}
	return n
}

// appendDesc appends Java's ServiceInfo.toDescString: match key, port,
// path and the params in key order, as a TreeMap prints.
func (s *ServiceInfo) appendDesc(b []byte) []byte {
	if s.Group != "" {
		b = append(b, s.Group...)
		b = append(b, '/')
	}
	b = append(b, s.Name...)
	if s.Version != "" {
		b = append(b, ':')
		b = append(b, s.Version...)
	}
	if s.Protocol != "" {
		b = append(b, ':')
		b = append(b, s.Protocol...)
	}
	b = strconv.AppendInt(b, int64(s.Port), 10)
	b = append(b, s.Path...)
	keys := make([]string, 0, len(s.Params))
	for k := range s.Params {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	b = append(b, '{')
	for i, k := range keys {
		if i > 0 {
			b = append(b, ", "...)
		}
		b = append(b, k...)
		b = append(b, '=')
		b = append(b, s.Params[k]...)
	}
	return append(b, '}')
}

// excludedServiceParams are the provider URL params Java's
// DefaultMetadataParamsFilter keeps out of a ServiceInfo: local or
// per-process ones (a key equal to one of them, ignoring case, or holding
// "."+one, as "sayHello.timestamp").
var excludedServiceParams = []string{
	"monitor", "bind.ip", "bind.port", "qos.enable", "qos.host", "qos.port",
	"qos.accept.foreign.ip", "validation", "interfaces", "pid", "timestamp",
	"heartbeat.timeout", "ipv6",
}

// instanceParams are the provider URL params Java copies into the
// instance's metadata instead (DefaultMetadataParamsFilter's
// instanceParamsIncluded).
var instanceParams = []string{"heartbeat.timeout", "timestamp", "ipv6"}

// newServiceInfo is the ServiceInfo Java's MetadataInfo.addService makes
// of a provider URL: interface, group, version, protocol, port and path
// from the URL, its params less excludedServiceParams.
func newServiceInfo(u *common.URL) *ServiceInfo {
	params := make(map[string]string, u.NumParams())
	u.RangeParams(func(k, v string) bool {
		for _, x := range excludedServiceParams {
			if strings.EqualFold(k, x) || strings.Contains(k, "."+x) {
				return true
			}
		}
		params[k] = v
		return true
	})
	return &ServiceInfo{
		Name:     u.ServiceInterface(),
		Group:    u.Group(),
		Version:  u.Version(),
		Protocol: u.Protocol(),
		Port:     u.Port(),
		Path:     u.Path(),
		Params:   params,
	}
}
