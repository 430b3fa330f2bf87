package loadbalance

import (
	"fmt"
	"sort"
	"sync"

	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/protocol"
)

// LoadBalance picks the invoker for one call.
//
// Select is on the call path: safe for concurrent use, and it should not
// allocate. It must not modify invokers.
type LoadBalance interface {
	// Select returns one of invokers for the call inv from the consumer, or
	// nil when invokers is empty. With one candidate it returns that one.
	Select(invokers []protocol.Invoker, consumer *common.URL, inv protocol.Invocation) protocol.Invoker
}

var (
	balancersMu sync.RWMutex
	balancers   = map[string]LoadBalance{}
)

// Register makes a load balancer available under name (the loadbalance
// param: "random", "roundrobin"). It panics on nil or a duplicate.
func Register(name string, lb LoadBalance) {
	balancersMu.Lock()
	defer balancersMu.Unlock()
	if lb == nil {
		panic("loadbalance: Register balancer is nil")
	}
	if _, dup := balancers[name]; dup {
		panic("loadbalance: Register called twice for balancer " + name)
	}
	balancers[name] = lb
}

// Get returns the balancer registered under name.
func Get(name string) (LoadBalance, error) {
	balancersMu.RLock()
	lb, ok := balancers[name]
	balancersMu.RUnlock()
	if !ok {
		return nil, fmt.Errorf("loadbalance: unknown load balancer %q", name)
	}
	return lb, nil
}

// Names lists the registered balancers, sorted.
func Names() []string {
	balancersMu.RLock()
	defer balancersMu.RUnlock()
	names := make([]string, 0, len(balancers))
	for n := range balancers {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
