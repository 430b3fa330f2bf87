package dubbo

import (
	"sync/atomic"
	"time"

	"github.com/fleetrpc/fleet/common"
)

// methodConfig is what a call reads from its invoker's URL for its method:
// the timeout and whether the method is one-way (return=false).
type methodConfig struct {
	timeout time.Duration
	oneWay  bool
}

// maxMethodConfigs bounds how many methods an invoker keeps the
// methodConfig of; calls of further methods read the URL each time.
const maxMethodConfigs = 64

// methodConfigs is an invoker's cache of methodConfig by method name, read
// without a lock on the call path: an immutable map replaced by a larger
// copy when a method is first called (the URL is immutable, so an entry
// never changes).
type methodConfigs struct {
	m atomic.Pointer[map[string]methodConfig]
}

// methodConfig returns the configuration of a call of method (the name
// sent) whose real method is real (they differ for generic calls, which
// are not cached): a timeout <= 0 or malformed is the default, as Java's
// getMethodPositiveParameter reads it (the directory logs it).
func (i *invoker) methodConfig(method, real string) methodConfig {
	if method == real {
		if m := i.methods.m.Load(); m != nil {
			if c, ok := (*m)[method]; ok {
				return c
			}
		}
	}
	timeout, _ := i.url.MethodParamPositiveDuration(real, common.TimeoutKey, common.DefaultTimeout)
	c := methodConfig{timeout: timeout, oneWay: !i.url.MethodParamBool(method, ReturnKey, true)}
	if method == real {
		i.methods.keep(method, c)
	}
	return c
}

// keep adds method's configuration unless the cache is full. A lost race
// with another method's first call is retried a few times, then left to a
// later call.
func (mc *methodConfigs) keep(method string, c methodConfig) {
	for range 4 {
		old := mc.m.Load()
		n := 0
		if old != nil {
			n = len(*old)
		}
		if n >= maxMethodConfigs {
			return
		}
		next := make(map[string]methodConfig, n+1)
		if old != nil {
			for k, v := range *old {
				next[k] = v
			}
		}
		next[method] = c
		if mc.m.CompareAndSwap(old, &next) {
			return
		}
	}
}
