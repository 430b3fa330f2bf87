package directory

import (
	"strings"

	"github.com/fleetrpc/fleet/common"
)

// Keys of mergeUrl that common does not name.
const (
	referenceFilterKey = "reference.filter"
	invokerListenerKey = "invoker.listener"
)

// providerOnlyKeys are the provider's thread-pool and transport settings:
// they mean nothing to a consumer and are dropped, with their default.
// forms.
var providerOnlyKeys = [...]string{
	"threadname", "threadpool", "corethreads", "threads", "queues", "alive", "transporter",
	"default.threadname", "default.threadpool", "default.corethreads", "default.threads",
	"default.queues", "default.alive", "default.transporter",
}

// consumerDroppedKeys are consumer keys the provider always keeps.
var consumerDroppedKeys = [...]string{
	common.ReleaseKey, common.DubboVersionKey, common.MethodsKey, common.TimestampKey, common.TagKey,
}

// merger merges provider URLs with the consumer's parameters as Java Dubbo
// 2.7.12+ mergeUrl does (directory.md §5), then adds check=false and fills
// an empty dubbo path (§4 steps 5–6): those two steps commute with the
// configurators, which can neither set check (a condition key) nor touch
// the path, so they are done here, in the same allocation.
//
// A merger is owned by the directory's update goroutine: it reuses one map.
type merger struct {
	consumer map[string]string // the consumer params minus consumerDroppedKeys; immutable
	path     string            // the path an empty dubbo path gets; immutable
	scratch  map[string]string // reused per merge
}

func newMerger(consumer map[string]string) *merger {
	c := make(map[string]string, len(consumer))
	for k, v := range consumer {
		c[k] = v
	}
	for _, k := range consumerDroppedKeys {
		delete(c, k)
	}
	return &merger{consumer: c, path: pathFromInterface(consumer[common.InterfaceKey]), scratch: map[string]string{}}
}

// pathFromInterface strips a group/ prefix and a :version suffix.
func pathFromInterface(iface string) string {
	if i := strings.IndexByte(iface, '/'); i >= 0 {
		iface = iface[i+1:]
	}
	if i := strings.LastIndexByte(iface, ':'); i >= 0 {
		iface = iface[:i]
	}
	return iface
}

// merge returns the provider URL p merged with the consumer params, with
// check=false and its path filled.
func (m *merger) merge(p *common.URL) *common.URL {
	out := m.scratch
	clear(out)
	p.RangeParams(func(k, v string) bool {
		out[k] = v
		return true
	})
	for _, k := range providerOnlyKeys {
		delete(out, k)
	}
	if len(m.consumer) > 0 {
		_, hasGroup := out[common.GroupKey]
		_, hasVersion := out[common.VersionKey]
		_, hasGeneric := out[common.GenericKey]
		for k, v := range m.consumer {
			switch {
			case k == common.GroupKey && hasGroup,
				k == common.VersionKey && hasVersion,
				k == common.GenericKey && hasGeneric:
				continue
			}
			out[k] = v
		}
		if app, _ := p.Param(common.ApplicationKey); app != "" {
			out[common.RemoteApplicationKey] = app
		} else {
			delete(out, common.RemoteApplicationKey)
		}
		for _, k := range [...]string{referenceFilterKey, invokerListenerKey} {
			pv, _ := p.Param(k)
			cv := m.consumer[k]
			if pv != "" && cv != "" {
				out[k] = pv + "," + cv
			}
		}
	}
	out[common.CheckKey] = "false"
	u := p.ReplaceParams(out)
	if u.Protocol() == common.DubboProtocol && u.Path() == "" {
		u = u.WithPath(m.path)
	}
	return u
}
