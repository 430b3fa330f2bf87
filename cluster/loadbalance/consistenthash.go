package loadbalance

import (
	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/protocol"
)

// ConsistentHashName is the name of the consistent-hash balancer.
const ConsistentHashName = "consistenthash"

func init() { Register(ConsistentHashName, &ConsistentHash{}) }

// ConsistentHash sends calls with the same hashed arguments to the same
// provider while the candidate list is unchanged: a ketama ring (cluster.md
// §4.6) of hash.nodes (default 160) virtual nodes per provider, placed by
// the MD5 of "<host:port><i>", looked up with the MD5 of the arguments
// named by hash.arguments (default the first). Both params are method
// params of the first candidate's URL.
//
// The ring is built per service and method when the candidate list changes
// (another slice with other invokers), never per call; Select then does
// not allocate for string, integer and boolean arguments, and takes no
// lock.
type ConsistentHash struct {
	rings stateMap[ringSlot]
}

// Name is the registered name of the balancer.
func (c *ConsistentHash) Name() string { return ConsistentHashName }

// Select implements LoadBalance.
func (c *ConsistentHash) Select(invokers []protocol.Invoker, consumer *common.URL, inv protocol.Invocation) protocol.Invoker {
	switch len(invokers) {
	case 0:
		return nil
	case 1:
		return invokers[0]
	}
	r := c.rings.get(invokers, consumer, inv, newRingSlot).ringFor(invokers, protocol.RealMethodName(inv))
	return r.invokers[r.owners[r.search(r.keyHash(inv))]]
}
