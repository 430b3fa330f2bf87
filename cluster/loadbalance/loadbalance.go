package loadbalance

import (
	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/internal/extension"
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

var balancers = extension.New[LoadBalance]("loadbalance", "load balancer")

// Register makes a load balancer available under name (the loadbalance
// param: "random", "roundrobin"). It panics on nil or a duplicate.
func Register(name string, lb LoadBalance) { balancers.Register(name, lb) }

// Get returns the balancer registered under name.
func Get(name string) (LoadBalance, error) { return balancers.Get(name) }

// Names lists the registered balancers, sorted.
func Names() []string { return balancers.Names() }
