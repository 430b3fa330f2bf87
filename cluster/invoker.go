package cluster

import (
	"context"
	"log/slog"
	"sync/atomic"
	"time"

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

	// Beyond Dubbo, all off by default (resilience.go).
	resilient    bool             // immutable: the consumer URL sets outlier or hedge params
	claimsProbes bool             // immutable: the strategy sends ejected providers' probes itself
	budget       *RetryBudget     // immutable, nil without retry.budget.ratio
	outlier      *outlierDetector // immutable
	latencies    histograms       // per method, for hedge.percentile
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
	c := &base{
		dir:            dir,
		lb:             lb,
		stats:          stats,
		logger:         logger.With("component", "cluster", "cluster", name, "service", dir.URL().ServiceKey()),
		availableCheck: dir.URL().ParamBool(AvailableCheckKey, true),
		resilient:      hasResilienceParams(dir.URL()),
		budget:         retryBudgetFrom(dir.URL()),
	}
	c.outlier = newOutlierDetector(c.logger)
	return c
}

// baseOf gives package functions (Outliers) the base of any strategy's
// invoker.
func (c *base) baseOf() *base { return c }

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
	if c.budget != nil {
		c.budget.Deposit()
	}
	candidates, err := c.dir.List(ctx, inv)
	if err != nil {
		return protocol.ErrorResult(err)
	}
	if c.resilient && !c.claimsProbes && c.consumerParams(inv).outlier.on() {
		candidates, _ = c.outlier.admit(candidates, admitRestore)
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
// balancers read (calls in flight, elapsed time) and, when on, in the
// outlier detector and the method's latency histogram. It is the one point
// every attempt of every strategy passes — first attempts, failover
// retries, hedges, forks — and so where per-attempt instrumentation (a
// span or a metric per attempt) belongs.
func (c *base) call(ctx context.Context, invoker protocol.Invoker, inv protocol.Invocation) protocol.Result {
	if !c.resilient {
		return c.stats.Invoke(ctx, invoker, inv)
	}
	mp := c.consumerParams(inv)
	var start time.Time
	if mp.hedge.percentile > 0 {
		start = time.Now()
	}
	res := c.stats.Invoke(ctx, invoker, inv)
	err := res.Error()
	if mp.outlier.on() {
		c.outlier.record(ctx, invoker, err, &mp.outlier)
	}
	if !start.IsZero() && (err == nil || protocol.IsBusiness(err)) {
		elapsed := time.Since(start)
		c.latencies.get(protocol.RealMethodName(inv)).observe(elapsed, start.UnixMilli()+elapsed.Milliseconds())
	}
	return res
}

// consumerParams are the call's method params of the consumer URL.
func (c *base) consumerParams(inv protocol.Invocation) *methodParams {
	return c.params.get(c.dir.URL(), protocol.RealMethodName(inv))
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
