package cluster

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"strings"

	"github.com/fleetrpc/fleet/cluster/loadbalance"
	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/directory"
	"github.com/fleetrpc/fleet/protocol"
)

// FailoverName is the name of the failover strategy, Dubbo's default.
const FailoverName = "failover"

func init() { Register(FailoverName, &Failover{}) }

// Failover calls one provider and, when the call fails with an RPC error,
// tries another one (cluster.md §3): retries (method param of the consumer
// URL, default 2; an invocation attachment "retries" overrides it for one
// call; ≤ 0 means one attempt) more times. Every later attempt lists the
// directory again, so it sees the current providers, and selects among
// those not tried yet (select, §2). A business error is returned at once,
// never retried. After the last attempt the call fails with the last
// error's kind, naming the providers tried:
//
//	Failed to invoke the method <m> in the service <iface>. Tried <N> times of the providers [<addresses>] (<k>/<n>) from the registry <addr> on the consumer <ip> using the dubbo version <v>. Last error is: <cause>
//
// A cancelled ctx ends the retries early.
type Failover struct {
	// LoadBalance picks each provider; nil means the balancer named by the
	// loadbalance method param of the first candidate (default random).
	LoadBalance loadbalance.LoadBalance
	// Stats receives every attempt; nil means loadbalance.DefaultStats().
	Stats *loadbalance.Stats
	// Logger logs; nil means slog.Default().
	Logger *slog.Logger
}

// Join implements Cluster.
func (f *Failover) Join(dir directory.Directory) protocol.Invoker {
	b := newBase(dir, f.LoadBalance, f.Stats, f.Logger, FailoverName)
	b.claimsProbes = true
	return &failoverInvoker{b}
}

type failoverInvoker struct{ *base }

func (f *failoverInvoker) Invoke(ctx context.Context, inv protocol.Invocation) protocol.Result {
	return f.invoke(ctx, inv, f.doInvoke)
}

func (f *failoverInvoker) doInvoke(ctx context.Context, inv protocol.Invocation, candidates []protocol.Invoker, lb loadbalance.LoadBalance) protocol.Result {
	if err := f.checkInvokers(candidates, inv); err != nil {
		return protocol.ErrorResult(err)
	}
	method := protocol.RealMethodName(inv)
	attempts := max(f.retries(method, inv)+1, 1)
	var (
		buf     [4]protocol.Invoker
		tried   = buf[:0]
		lastErr error
		probe   protocol.Invoker
		mp      *methodParams
	)
	if f.resilient {
		mp = f.consumerParams(inv)
		if mp.outlier.on() {
			candidates, probe = f.outlier.admit(candidates, admitProbe)
		}
		if mp.hedge.on() && attempts > 1 {
			if delay := f.hedgeDelay(method, mp); delay > 0 {
				return f.hedged(ctx, inv, candidates, lb, attempts, probe, delay, mp)
			}
		}
	}
	for i := 0; i < attempts; i++ {
		if i > 0 {
			if ctx.Err() != nil {
				break
			}
			if f.budget != nil && !f.budget.TryWithdraw() {
				lastErr = budgetExhausted(lastErr)
				break
			}
			var err error
			if candidates, err = f.relist(ctx, inv, mp); err != nil {
				return protocol.ErrorResult(err)
			}
		}
		var target protocol.Invoker
		if i == 0 && probe != nil {
			target = probe
		} else {
			target = f.selectInvoker(lb, inv, candidates, tried)
		}
		tried = append(tried, target)
		res := f.call(ctx, target, inv)
		err := res.Error()
		if err == nil || protocol.IsBusiness(err) {
			if lastErr != nil && f.logger.Enabled(ctx, slog.LevelDebug) {
				f.logger.DebugContext(ctx, "retry succeeded after failures", "method", protocol.RealMethodName(inv),
					"attempt", i+1, "provider", target.URL().Address(), "last_error", lastErr)
			}
			return res
		}
		lastErr = f.rpcError(err, target, inv)
	}
	return protocol.ErrorResult(f.exhausted(inv, tried, len(candidates), lastErr))
}

// relist is a later attempt's candidates: the directory's current list,
// without the ejected providers when ejection is on for the call, failing
// once destroyed or with no provider left.
func (f *failoverInvoker) relist(ctx context.Context, inv protocol.Invocation, mp *methodParams) ([]protocol.Invoker, error) {
	if f.destroyed.Load() {
		return nil, f.destroyedError(inv)
	}
	candidates, err := f.dir.List(ctx, inv)
	if err != nil {
		return nil, err
	}
	if mp != nil && mp.outlier.on() {
		candidates, _ = f.outlier.admit(candidates, admitOnly)
	}
	if err := f.checkInvokers(candidates, inv); err != nil {
		return nil, err
	}
	return candidates, nil
}

// retries is the retries method param of the consumer URL, or the
// invocation's retries attachment when it is a number.
func (f *failoverInvoker) retries(method string, inv protocol.Invocation) int {
	if v, ok := inv.Attachment(common.RetriesKey); ok {
		switch n := v.(type) {
		case int:
			return n
		case string:
			if r, err := strconv.Atoi(n); err == nil {
				return r
			}
		}
	}
	return f.params.get(f.dir.URL(), method).retries
}

func (f *failoverInvoker) exhausted(inv protocol.Invocation, tried []protocol.Invoker, n int, lastErr error) error {
	u := f.dir.URL()
	method := protocol.RealMethodName(inv)
	var addrs []string
	for _, t := range tried {
		a := t.URL().Address()
		found := false
		for _, x := range addrs {
			found = found || x == a
		}
		if !found {
			addrs = append(addrs, a)
		}
	}
	return protocol.NewError(protocol.KindOf(lastErr), u.ServiceKey(), method, "", fmt.Sprintf(
		"Failed to invoke the method %s in the service %s. Tried %d times of the providers [%s] (%d/%d) from the registry %s on the consumer %s using the dubbo version %s. Last error is",
		method, u.ServiceInterface(), len(tried), strings.Join(addrs, ", "), len(addrs), n,
		f.registryAddress(), f.consumerHost(), f.version()), lastErr)
}
