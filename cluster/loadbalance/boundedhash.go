package loadbalance

import (
	"math"
	"strconv"

	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/protocol"
)

// BoundedHashName is the name of the consistent-hash-with-bounded-loads
// balancer.
const BoundedHashName = "boundedhash"

// HashBalanceKey is ε of boundedhash: no provider takes more than
// ceil((1+ε) × the average calls in flight); DefaultHashBalance is its
// default.
const (
	HashBalanceKey     = "hash.balance"
	DefaultHashBalance = 0.25
)

func init() { Register(BoundedHashName, &BoundedHash{}) }

// BoundedHash is consistent hashing with bounded loads (Mirrokni, Thorup,
// Zadimoghaddam): the ring and key of ConsistentHash, but a call walks on
// past providers that already have ceil((1+ε) × (in flight + 1) / n) calls
// of the method in flight (Stats), with ε the method param hash.balance of
// the first candidate (default 0.25). Keys stay where they hash while loads
// are even and spill to the next providers on the ring when one is
// overloaded. Beyond Dubbo.
//
// Select sums the candidates' calls in flight (O(n) lock-free reads), does
// not allocate in steady state and takes no lock.
type BoundedHash struct {
	// Stats are the statistics read; nil means DefaultStats().
	Stats *Stats

	rings  stateMap[ringSlot]
	tables stateMap[tableSlot]
}

// Name is the registered name of the balancer.
func (bh *BoundedHash) Name() string { return BoundedHashName }

// Select implements LoadBalance.
func (bh *BoundedHash) Select(invokers []protocol.Invoker, consumer *common.URL, inv protocol.Invocation) protocol.Invoker {
	switch len(invokers) {
	case 0:
		return nil
	case 1:
		return invokers[0]
	}
	method := protocol.RealMethodName(inv)
	r := bh.rings.get(invokers, consumer, inv, newRingSlot).ringFor(invokers, method)
	t := bh.tables.get(invokers, consumer, inv, newTableSlot).tableFor(invokers, method, statsOr(bh.Stats), nil)
	eps := DefaultHashBalance
	if v, ok := r.invokers[0].URL().MethodParam(method, HashBalanceKey); ok {
		if f, err := strconv.ParseFloat(v, 64); err == nil && f >= 0 {
			eps = f
		}
	}
	var total int64
	for i := range invokers {
		total += t.statsAt(i).Active()
	}
	limit := int64(math.Ceil((1 + eps) * float64(total+1) / float64(len(r.invokers))))
	start := r.search(r.keyHash(inv))
	for k := 0; k < len(r.hashes); k++ {
		i := start + k
		if i >= len(r.hashes) {
			i -= len(r.hashes)
		}
		if o := int(r.owners[i]); t.statsAt(o).Active()+1 <= limit {
			return r.invokers[o]
		}
	}
	return r.invokers[r.owners[start]]
}
