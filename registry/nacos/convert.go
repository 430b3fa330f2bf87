package nacos

import (
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/nacos-group/nacos-sdk-go/v2/model"

	"github.com/fleetrpc/fleet/common"
)

// Metadata keys besides the URL's parameters.
const (
	// categoryKeyGo is where dubbo-go writes the category.
	categoryKeyGo = "nacos.category"
	// internalPrefix starts the metadata keys the polaris server adds to
	// every instance.
	internalPrefix = "internal-nacos-"
	// maxWeight is the largest weight Nacos accepts.
	maxWeight = 10000
)

// toInstance is the instance url is registered as: its host and port,
// its parameters plus category (default providers), protocol and path as
// metadata, weight from its weight parameter (Nacos's default 1 without).
func toInstance(url *common.URL) model.Instance {
	md := url.Params()
	md[common.CategoryKey] = url.Category()
	md[common.ProtocolKey] = url.Protocol()
	md[common.PathParamKey] = url.Path()
	weight := 1.0
	if v, ok := url.Param(common.WeightKey); ok {
		if w, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil && !math.IsNaN(w) {
			weight = math.Max(0, math.Min(w, maxWeight))
		}
	}
	return model.Instance{
		Ip:        url.Host(),
		Port:      uint64(max(url.Port(), 0)),
		Weight:    weight,
		Enable:    true,
		Healthy:   true,
		Ephemeral: true,
		Metadata:  md,
	}
}

// toURL rebuilds the URL of an instance of a service of category, as Java
// does: protocol://ip:port/path?metadata. Empty values count as absent;
// the server's internal-nacos-* keys are dropped; dubbo-go's
// nacos.category stands in for category, and its /interface path loses its
// slash; a category still missing is the service's. ok is false for an
// instance that is disabled or unhealthy, or has no address.
func toURL(inst *model.Instance, category string) (*common.URL, bool) {
	if !inst.Enable || !inst.Healthy || inst.Ip == "" || inst.Port > math.MaxUint16 {
		return nil, false
	}
	params := make(map[string]string, len(inst.Metadata)+1)
	for k, v := range inst.Metadata {
		if v == "" || k == "" || strings.HasPrefix(k, internalPrefix) {
			continue
		}
		params[k] = v
	}
	if params[common.CategoryKey] == "" {
		if c := params[categoryKeyGo]; c != "" {
			params[common.CategoryKey] = c
		} else {
			params[common.CategoryKey] = category
		}
	}
	protocol := params[common.ProtocolKey]
	if protocol == "" {
		protocol = common.DubboProtocol
	}
	path := strings.TrimLeft(params[common.PathParamKey], "/")
	if path == "" {
		path = params[common.InterfaceKey]
	}
	return common.NewURL(protocol, inst.Ip, int(inst.Port), path, params), true
}

// instanceCache keeps the URL built for each instance of one service
// name, so a push rebuilds only the instances that changed.
type instanceCache struct {
	byAddr map[string]cachedInstance
}

type cachedInstance struct {
	inst model.Instance
	url  keyedURL // url.u nil when the instance gives no URL, or one that does not match
}

// keyedURL is a URL with its full string, rendered once, to sort and
// compare by.
type keyedURL struct {
	u   *common.URL
	key string
}

// urls returns the URLs of hosts that match (common.IsMatch) the
// subscription URL svc, reusing what was decided for unchanged instances.
// svc must be the same at every call.
func (c *instanceCache) urls(hosts []model.Instance, category string, svc *common.URL) []keyedURL {
	next := make(map[string]cachedInstance, len(hosts))
	out := make([]keyedURL, 0, len(hosts))
	for i := range hosts {
		h := &hosts[i]
		k := h.Ip + ":" + strconv.FormatUint(h.Port, 10)
		if old, ok := c.byAddr[k]; ok && sameInstance(&old.inst, h) {
			next[k] = old
			if old.url.u != nil {
				out = append(out, old.url)
			}
			continue
		}
		var ku keyedURL
		if u, ok := toURL(h, category); ok && common.IsMatch(svc, u) {
			ku = keyedURL{u: u, key: u.FullString()}
			out = append(out, ku)
		}
		next[k] = cachedInstance{inst: *h, url: ku}
	}
	c.byAddr = next
	return out
}

func sameInstance(a, b *model.Instance) bool {
	return a.Enable == b.Enable && a.Healthy == b.Healthy && a.Weight == b.Weight && maps.Equal(a.Metadata, b.Metadata)
}

// sortedURLs returns the URLs of keyed ordered by their full string, each
// once (an instance under both the current and the legacy name is one).
func sortedURLs(keyed []keyedURL) []*common.URL {
	slices.SortFunc(keyed, func(a, b keyedURL) int { return strings.Compare(a.key, b.key) })
	out := make([]*common.URL, 0, len(keyed))
	for i, k := range keyed {
		if i > 0 && k.key == keyed[i-1].key {
			continue
		}
		out = append(out, k.u)
	}
	return out
}

// emptyURL is the empty:// placeholder of an empty category: the
// subscription URL with protocol empty and the category set.
func emptyURL(subscription *common.URL, category string) *common.URL {
	return subscription.WithProtocol(common.EmptyProtocol).WithParam(common.CategoryKey, category)
}
