package servicediscovery

import (
	"sort"
	"strings"

	"github.com/fleetrpc/fleet/common"
)

// providerURLs are the interface-level provider URLs instance in offers
// for the subscription sub, from its application's metadata md: one per
// service of md that matches sub (interface, group, version, the
// consumer's protocol param when set), at the instance's address and the
// port its endpoints give for the service's protocol (else the service's
// port, else the instance's).
func providerURLs(sub *common.URL, in *Instance, md *MetadataInfo) []*common.URL {
	iface := sub.ServiceInterface()
	keys := make([]string, 0, len(md.Services))
	for k, si := range md.Services {
		if si != nil && (si.Name == iface || iface == common.AnyValue) {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	wantProto, _ := sub.Param("protocol")
	var out []*common.URL
	for _, k := range keys {
		si := md.Services[k]
		proto := si.Protocol
		if proto == "" {
			proto = "dubbo"
		}
		if wantProto != "" && !containsItem(wantProto, proto) {
			continue
		}
		port := in.EndpointPort(proto)
		if port == 0 {
			port = si.Port
		}
		if port <= 0 || port > 65535 {
			port = in.Port
		}
		path := si.Path
		if path == "" {
			path = si.Name
		}
		params := make(map[string]string, len(si.Params)+5)
		for pk, pv := range si.Params {
			params[pk] = pv
		}
		params[common.InterfaceKey] = si.Name
		delete(params, common.GroupKey)
		delete(params, common.VersionKey)
		if si.Group != "" {
			params[common.GroupKey] = si.Group
		}
		if si.Version != "" {
			params[common.VersionKey] = si.Version
		}
		if _, ok := params["application"]; !ok && in.App != "" {
			params["application"] = in.App
		}
		if _, ok := params[common.SideKey]; !ok {
			params[common.SideKey] = common.ProviderSide
		}
		delete(params, common.CategoryKey)
		u := common.NewURL(proto, in.Host, port, path, params)
		if common.IsMatch(sub, u) {
			out = append(out, u)
		}
	}
	return out
}

// containsItem reports whether the comma list has item.
func containsItem(list, item string) bool {
	for _, s := range strings.Split(list, ",") {
		if strings.TrimSpace(s) == item {
			return true
		}
	}
	return false
}

// emptyURL is the empty:// placeholder of the providers category for sub.
func emptyURL(sub *common.URL) *common.URL {
	return sub.WithProtocol(common.EmptyProtocol).WithParam(common.CategoryKey, common.ProvidersCategory)
}
