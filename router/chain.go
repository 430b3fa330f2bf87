package router

import (
	"log/slog"
	"sort"

	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/protocol"
)

// Chain routes the calls of one directory snapshot through its routers, in
// priority order. It is built off the call path, when the providers or the
// rules change, and is immutable afterwards.
type Chain struct {
	routers  []Router           // sorted by priority, stable; immutable
	consumer *common.URL        // immutable
	invokers []protocol.Invoker // the snapshot's invokers; immutable
	logger   *slog.Logger
}

// NewChain returns the chain of routers (sorted by ascending priority,
// ties keeping their order) for the snapshot's invokers and the consumer
// URL the routers see. It does not keep routers' slice.
func NewChain(routers []Router, invokers []protocol.Invoker, consumer *common.URL, logger *slog.Logger) *Chain {
	sorted := append([]Router(nil), routers...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].Priority() < sorted[j].Priority() })
	if logger == nil {
		logger = slog.Default()
	}
	return &Chain{routers: sorted, consumer: consumer, invokers: invokers, logger: logger.With("component", "router")}
}

// Routers lists the chain's routers in the order they run. The caller must
// not modify the slice.
func (c *Chain) Routers() []Router { return c.routers }

// Route returns the invokers of candidates that inv may reach. candidates
// must be the snapshot's invokers or a slice the snapshot holds for the
// chain's lifetime (a per-method list): the chain may cache results per
// candidate slice. A router that fails is logged and skipped. The result
// must not be modified.
func (c *Chain) Route(candidates []protocol.Invoker, inv protocol.Invocation) []protocol.Invoker {
	for _, r := range c.routers {
		if len(candidates) == 0 {
			return candidates
		}
		routed, err := r.Route(candidates, c.consumer, inv)
		if err != nil {
			c.logger.Warn("router failed, call left unrouted by it", "rule", r.URL(), "error", err)
			continue
		}
		candidates = routed
	}
	return candidates
}
