package loadbalance

import (
	"sync"
	"sync/atomic"

	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/protocol"
)

// methodKey names the state a balancer keeps per service and method (Java's
// serviceKey + "." + method), without building a string on the call path.
type methodKey struct {
	iface, group, version, method string
}

// cowMap is a map read without locks: readers load an immutable map, a
// writer copies it under mu. It suits keys that are added rarely (one per
// service and method) and never removed.
type cowMap[K comparable, V any] struct {
	m  atomic.Pointer[map[K]*V]
	mu sync.Mutex
}

// get returns the value of k, creating it with newV when absent.
func (c *cowMap[K, V]) get(k K, newV func() *V) *V {
	if m := c.m.Load(); m != nil {
		if v, ok := (*m)[k]; ok {
			return v
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	old := c.m.Load()
	if old != nil {
		if v, ok := (*old)[k]; ok {
			return v
		}
	}
	next := make(map[K]*V, 1+lenOf(old))
	if old != nil {
		for k2, v2 := range *old {
			next[k2] = v2
		}
	}
	v := newV()
	next[k] = v
	c.m.Store(&next)
	return v
}

func lenOf[K comparable, V any](m *map[K]*V) int {
	if m == nil {
		return 0
	}
	return len(*m)
}

// urlMethod is a call's consumer URL (by identity) and real method name.
type urlMethod struct {
	u      *common.URL
	method string
}

// maxURLCache bounds stateMap's cache by URL identity: past it the cache
// starts again (the states themselves are kept by service and method).
const maxURLCache = 256

// stateMap holds a balancer's state per service and method (Java's
// serviceKey + "." + method). Calls find it through a cache keyed by the
// consumer URL's identity and the method name, which a cluster passes
// unchanged call after call, so the call path reads no URL parameter and
// hashes one pointer and one string. Both maps are read without locks.
type stateMap[V any] struct {
	byKey cowMap[methodKey, V]
	byURL atomic.Pointer[map[urlMethod]*V]
	mu    sync.Mutex // serialises writers of byURL
}

// get returns the state of the call's service and method, creating it with
// newV the first time.
func (s *stateMap[V]) get(invokers []protocol.Invoker, consumer *common.URL, inv protocol.Invocation, newV func() *V) *V {
	u := consumer
	if u == nil {
		u = invokers[0].URL()
	}
	key := urlMethod{u, protocol.RealMethodName(inv)}
	if m := s.byURL.Load(); m != nil {
		if v, ok := (*m)[key]; ok {
			return v
		}
	}
	v := s.byKey.get(methodKey{u.ServiceInterface(), u.Group(), u.Version(), key.method}, newV)
	s.mu.Lock()
	defer s.mu.Unlock()
	old := s.byURL.Load()
	var next map[urlMethod]*V
	if old == nil || len(*old) >= maxURLCache {
		next = make(map[urlMethod]*V, 1)
	} else {
		next = make(map[urlMethod]*V, len(*old)+1)
		for k, x := range *old {
			next[k] = x
		}
	}
	next[key] = v
	s.byURL.Store(&next)
	return v
}
