package cluster

import (
	"context"
	"log/slog"
	"sync/atomic"

	"github.com/fleetrpc/fleet/cluster/loadbalance"
	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/directory"
	"github.com/fleetrpc/fleet/protocol"
)

// AvailableCheckKey is the consumer URL param that makes select skip
// unavailable providers (default true).
const AvailableCheckKey = "cluster.availablecheck"

// base is what every strategy's invoker shares (Java's
// AbstractClusterInvoker): the common invoke path of cluster.md §1, the
// select of §2 with its sticky invoker, statistics and destruction.
type base struct {
	dir            directory.Directory     // immutable
	lb             loadbalance.LoadBalance // immutable, may be nil
	stats          *loadbalance.Stats      // immutable
	logger         *slog.Logger            // immutable
	availableCheck bool                    // immutable
	sticky         sticky
	named          atomic.Pointer[namedBalancer] // the last balancer looked up by name
	params         paramCache                    // method params read from URLs
	destroyed      atomic.Bool
	stop           func() // immutable, may be nil: stops the strategy's background work
}

// strategyFunc is one strategy's part of a call: candidates are the
// directory's list for inv, lb the balancer of the call.
type strategyFunc func(ctx context.Context, inv protocol.Invocation, candidates []protocol.Invoker, lb loadbalance.LoadBalance) protocol.Result

func newBase(dir directory.Directory, lb loadbalance.LoadBalance, stats *loadbalance.Stats, logger *slog.Logger, name string) *base {
	if stats == nil {
		stats = loadbalance.DefaultStats()
	}
	if logger == nil {
		logger = slog.Default()
	}
	return &base{
		dir:            dir,
		lb:             lb,
		stats:          stats,
		logger:         logger.With("component", "cluster", "cluster", name, "service", dir.URL().ServiceKey()),
		availableCheck: dir.URL().ParamBool(AvailableCheckKey, true),
	}
}

// URL is the directory's (consumer) URL.
func (c *base) URL() *common.URL { return c.dir.URL() }

// IsAvailable is the sticky invoker's availability while one is held, else
// the directory's; false once destroyed.
func (c *base) IsAvailable() bool {
	if c.destroyed.Load() {
		return false
	}
	if held := c.sticky.get(); held != nil {
		return held.IsAvailable()
	}
	return c.dir.IsAvailable()
}

// Destroy stops the strategy's background work, then destroys the
// directory. Idempotent.
func (c *base) Destroy() {
	if c.destroyed.Swap(true) {
		return
	}
	if c.stop != nil {
		c.stop()
	}
	c.dir.Destroy()
}

// invoke is the common invoke path: fail when destroyed, add the context's
// outgoing attachments to the invocation (where it lacks the key), list the
// candidates, choose the balancer, run the strategy.
func (c *base) invoke(ctx context.Context, inv protocol.Invocation, do strategyFunc) protocol.Result {
	if c.destroyed.Load() {
		return protocol.ErrorResult(c.destroyedError(inv))
	}
	if atts := protocol.OutgoingAttachments(ctx); len(atts) > 0 {
		inv = protocol.AddAttachmentsIfAbsent(inv, atts)
	}
	candidates, err := c.dir.List(ctx, inv)
	if err != nil {
		return protocol.ErrorResult(err)
	}
	return do(ctx, inv, candidates, c.balancer(candidates, inv))
}

// balancer is the configured balancer, else the one named by the
// loadbalance method param of the first candidate's URL (real method name),
// default random. An unknown name falls back to random.
func (c *base) balancer(candidates []protocol.Invoker, inv protocol.Invocation) loadbalance.LoadBalance {
	if c.lb != nil {
		return c.lb
	}
	name := common.DefaultLoadbalance
	if len(candidates) > 0 {
		name = c.params.get(candidates[0].URL(), protocol.RealMethodName(inv)).loadbalance
	}
	if n := c.named.Load(); n != nil && n.name == name {
		return n.lb
	}
	lb, err := loadbalance.Get(name)
	if err != nil {
		lb, _ = loadbalance.Get(loadbalance.RandomName)
	}
	c.named.Store(&namedBalancer{name, lb})
	return lb
}

// namedBalancer caches a lookup in the balancer table, so that a call
// takes no lock.
type namedBalancer struct {
	name string
	lb   loadbalance.LoadBalance
}

// call performs one attempt on invoker, recording it in the statistics the
// balancers read (calls in flight, elapsed time).
func (c *base) call(ctx context.Context, invoker protocol.Invoker, inv protocol.Invocation) protocol.Result {
	return c.stats.Invoke(ctx, invoker, inv)
}

// rpcError returns err as an RPC error: itself when it carries an *Error,
// else wrapped as KindUnknown (Java's code 0).
func (c *base) rpcError(err error, invoker protocol.Invoker, inv protocol.Invocation) error {
	if protocol.KindOf(err) != protocol.KindUnknown {
		return err
	}
	addr := ""
	if invoker != nil {
		addr = invoker.URL().Address()
	}
	return protocol.NewError(protocol.KindUnknown, c.dir.URL().ServiceKey(), protocol.RealMethodName(inv), addr, "", err)
}

// emptyResult is the successful result with no value that failsafe and
// failback return in place of a failure.
func emptyResult() protocol.Result { return protocol.NewResult(nil, nil) }
