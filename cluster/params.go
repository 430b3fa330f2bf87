package cluster

import (
	"sync"
	"sync/atomic"

	"github.com/fleetrpc/fleet/common"
)

// methodParams are the method params a call reads from a URL on the call
// path. URLs are immutable, so they are read once per URL and method.
type methodParams struct {
	retries     int    // retries: DefaultRetries when absent or malformed, 0 when negative
	loadbalance string // loadbalance, DefaultLoadbalance when absent
	sticky      bool   // sticky
	outlier     outlierParams
	hedge       hedgeParams
}

// urlMethod is a URL, by identity, and a method name.
type urlMethod struct {
	u      *common.URL
	method string
}

// maxParamCache bounds the cache: past it, it starts again.
const maxParamCache = 256

// paramCache holds methodParams by URL identity and method, read without a
// lock; a miss reads the URL and copies the map.
type paramCache struct {
	m  atomic.Pointer[map[urlMethod]*methodParams]
	mu sync.Mutex // serialises writers
}

func (c *paramCache) get(u *common.URL, method string) *methodParams {
	key := urlMethod{u, method}
	if m := c.m.Load(); m != nil {
		if p, ok := (*m)[key]; ok {
			return p
		}
	}
	p := &methodParams{
		loadbalance: u.MethodParamOr(method, common.LoadbalanceKey, common.DefaultLoadbalance),
		sticky:      u.MethodParamBool(method, common.StickyKey, false),
		outlier:     readOutlier(u, method),
		hedge:       readHedge(u, method),
	}
	// A bad value is the directory's to log, when the URL arrives.
	p.retries, _ = u.MethodParamNonNegativeInt(method, common.RetriesKey, common.DefaultRetries)
	c.mu.Lock()
	defer c.mu.Unlock()
	old := c.m.Load()
	var next map[urlMethod]*methodParams
	if old == nil || len(*old) >= maxParamCache {
		next = make(map[urlMethod]*methodParams, 1)
	} else {
		next = make(map[urlMethod]*methodParams, len(*old)+1)
		for k, v := range *old {
			next[k] = v
		}
	}
	next[key] = p
	c.m.Store(&next)
	return p
}
