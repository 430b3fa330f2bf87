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
// The common case takes a fast path: the provider URL minus its
// provider-only keys with a consumer overlay laid over it
// (common.URL.WithOverlay), the overlay prepared once per combination of
// "provider has group / version / generic" and provider application. The
// merged URL then shares the provider URL's parameter text and the
// overlay's, and owns only its parameter index. Providers whose
// reference.filter or invoker.listener must be joined take the general path
// (mergeSlow); both give equal URLs.
//
// A merger is owned by the directory's update goroutine.
type merger struct {
	consumer map[string]string // the consumer params, trimmed, minus consumerDroppedKeys and empty values; immutable
	path     string            // the path an empty dubbo path gets; immutable
	overlays map[overlayKey]*overlay
	scratch  map[string]string // reused by mergeSlow
}

type overlayKey struct {
	drop uint8 // bit 0 group, 1 version, 2 generic: the provider has it
	app  string
}

// maxOverlays bounds the overlay cache (distinct provider applications).
const maxOverlays = 64

func newMerger(consumer map[string]string) *merger {
	c := make(map[string]string, len(consumer))
	for k, v := range consumer {
		// URLs trim their values of blanks; an empty one is no param.
		if v = strings.TrimFunc(v, func(r rune) bool { return r <= ' ' }); k != "" && v != "" {
			c[k] = v
		}
	}
	for _, k := range consumerDroppedKeys {
		delete(c, k)
	}
	m := &merger{
		consumer: c,
		path:     pathFromInterface(consumer[common.InterfaceKey]),
		overlays: map[overlayKey]*overlay{},
		scratch:  map[string]string{},
	}
	return m
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
	if _, ok := m.consumer[common.RemoteApplicationKey]; ok {
		return m.mergeSlow(p)
	}
	// One pass over p's keys finds everything the fast path needs.
	var key overlayKey
	var drop [len(providerOnlyKeys)]string
	nDrop, slow := 0, false
	p.RangeParams(func(k, v string) bool {
		switch k {
		case common.GroupKey:
			key.drop |= 1
		case common.VersionKey:
			key.drop |= 2
		case common.GenericKey:
			key.drop |= 4
		case common.ApplicationKey:
			key.app = v
		case referenceFilterKey, invokerListenerKey:
			slow = slow || (v != "" && m.consumer[k] != "")
		default:
			if isProviderOnly(k) && nDrop < len(drop) {
				drop[nDrop] = k
				nDrop++
			}
		}
		return true
	})
	if slow {
		return m.mergeSlow(p)
	}
	if len(m.consumer) == 0 {
		key = overlayKey{}
	}
	return m.fillPath(p.WithOverlay(m.overlay(key).shared, drop[:nDrop]...))
}

// isProviderOnly reports whether k is one of providerOnlyKeys.
func isProviderOnly(k string) bool {
	switch k {
	case "threadname", "threadpool", "corethreads", "threads", "queues", "alive", "transporter",
		"default.threadname", "default.threadpool", "default.corethreads", "default.threads",
		"default.queues", "default.alive", "default.transporter":
		return true
	}
	return false
}

// overlay is the consumer params laid over the providers of one
// overlayKey. Immutable once built.
type overlay struct {
	params map[string]string
	shared *common.Overlay // params, packed once
}

// overlay returns the overlay for providers of key.
func (m *merger) overlay(key overlayKey) *overlay {
	if o := m.overlays[key]; o != nil {
		return o
	}
	o := make(map[string]string, len(m.consumer)+2)
	for k, v := range m.consumer {
		o[k] = v
	}
	for i, k := range [...]string{common.GroupKey, common.VersionKey, common.GenericKey} {
		if key.drop&(1<<i) != 0 {
			delete(o, k)
		}
	}
	if len(m.consumer) > 0 && key.app != "" {
		o[common.RemoteApplicationKey] = key.app
	}
	o[common.CheckKey] = "false"
	ov := &overlay{params: o, shared: common.NewOverlay(o)}
	if len(m.overlays) < maxOverlays {
		m.overlays[key] = ov
	}
	return ov
}

func (m *merger) fillPath(u *common.URL) *common.URL {
	if u.Protocol() == common.DubboProtocol && u.Path() == "" {
		return u.WithPath(m.path)
	}
	return u
}

// MergeURL merges a provider URL with a consumer's parameters as Java's
// ClusterUtils.mergeUrl does (2.7.12+/3.x; directory.md §5): the
// provider's thread-pool and transport settings are dropped; the consumer
// wins on every key both set, except dubbo, release, methods, timestamp and
// dubbo.tag, and group, version and generic when the provider has them;
// remote.application is the provider's application (absent when the
// provider has none); reference.filter and invoker.listener join the
// provider's and the consumer's values. With no consumer parameters only
// the provider-only keys are dropped. The result keeps the provider's
// protocol, user, password, host, port and path. A RegistryDirectory does
// this to every provider URL, then adds check=false and fills an empty
// dubbo path.
func MergeURL(provider *common.URL, consumer map[string]string) *common.URL {
	m := newMerger(consumer)
	out := map[string]string{}
	m.mergeParams(provider, out)
	return provider.ReplaceParams(out)
}

// mergeSlow is merge built parameter by parameter, the way Java does it.
func (m *merger) mergeSlow(p *common.URL) *common.URL {
	out := m.scratch
	clear(out)
	m.mergeParams(p, out)
	out[common.CheckKey] = "false"
	return m.fillPath(p.ReplaceParams(out))
}

// mergeParams fills the empty map out with mergeUrl's params of p.
func (m *merger) mergeParams(p *common.URL, out map[string]string) {
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
}
