package metrics

import (
	"maps"
	"sync/atomic"

	"github.com/fleetrpc/fleet/common"
	"github.com/prometheus/client_golang/prometheus"
)

// children are the resolved collectors of one label set: recording a call
// through them takes no lookup and no allocation.
type children struct {
	requests, succeed, failed, business, timeout, limit, network, unavailable, codec, unknown prometheus.Counter
	processing                                                                                prometheus.Gauge
	rt                                                                                        prometheus.Observer
}

// urlEntry caches the children of each method of one invoker URL,
// copy-on-write.
type urlEntry struct {
	url     *common.URL                          // immutable
	methods atomic.Pointer[map[string]*children] // replaced whole under side.mu
}

// lookup returns the children of (u, method), resolving them on first use.
func (s *side) lookup(u *common.URL, method string) *children {
	e := (*s.cache.Load())[u]
	if e != nil {
		if c := (*e.methods.Load())[method]; c != nil {
			return c
		}
	}
	return s.resolve(u, method)
}

// resolve builds the children of (u, method) and publishes them in the
// cache. Off the steady-state path.
func (s *side) resolve(u *common.URL, method string) *children {
	s.mu.Lock()
	defer s.mu.Unlock()
	cache := *s.cache.Load()
	e := cache[u]
	if e == nil {
		e = &urlEntry{url: u}
		empty := map[string]*children{}
		e.methods.Store(&empty)
		next := make(map[*common.URL]*urlEntry, len(cache)+1)
		if len(cache) < maxCachedURLs {
			maps.Copy(next, cache)
		}
		next[u] = e
		s.cache.Store(&next)
	}
	methods := *e.methods.Load()
	if c := methods[method]; c != nil {
		return c
	}
	c := s.children(u, method)
	next := make(map[string]*children, len(methods)+1)
	maps.Copy(next, methods)
	next[method] = c
	e.methods.Store(&next)
	return c
}

func (s *side) children(u *common.URL, method string) *children {
	app := u.ParamOr(common.ApplicationKey, s.opts.application)
	iface := u.ParamOr(common.InterfaceKey, u.Path())
	lv := []string{app, s.opts.hostname, s.opts.ip, iface, method, u.ParamOr(common.GroupKey, ""), u.ParamOr(common.VersionKey, "")}
	return &children{
		requests:    s.requests.WithLabelValues(lv...),
		succeed:     s.succeed.WithLabelValues(lv...),
		failed:      s.failed.WithLabelValues(lv...),
		business:    s.business.WithLabelValues(lv...),
		timeout:     s.timeout.WithLabelValues(lv...),
		limit:       s.limit.WithLabelValues(lv...),
		network:     s.network.WithLabelValues(lv...),
		unavailable: s.unavailable.WithLabelValues(lv...),
		codec:       s.codec.WithLabelValues(lv...),
		unknown:     s.unknown.WithLabelValues(lv...),
		processing:  s.processing.WithLabelValues(lv...),
		rt:          s.rt.WithLabelValues(lv...),
	}
}
