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

// keyOf is the methodKey of a call: the service of the consumer URL (or of
// the first invoker's URL when there is no consumer URL) and the real
// method name. It does not allocate.
func keyOf(invokers []protocol.Invoker, consumer *common.URL, inv protocol.Invocation) methodKey {
	u := consumer
	if u == nil {
		u = invokers[0].URL()
	}
	return methodKey{u.ServiceInterface(), u.Group(), u.Version(), protocol.RealMethodName(inv)}
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
