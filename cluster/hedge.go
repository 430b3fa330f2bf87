package cluster

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/fleetrpc/fleet/cluster/loadbalance"
	"github.com/fleetrpc/fleet/protocol"
)

// ErrRetryBudget marks a failover that stopped retrying because the
// reference's retry budget was spent; the call's error wraps it beside
// the last attempt's error (errors.Is).
var ErrRetryBudget = errors.New("cluster: retry budget exhausted")

func budgetExhausted(lastErr error) error {
	return fmt.Errorf("%w (%w)", lastErr, ErrRetryBudget)
}

// hedgeDelay is how long the method's attempts run before another one is
// sent: the learned percentile once enough attempts succeeded, else the
// fixed hedge.delay; 0 means no hedging for this call.
func (f *failoverInvoker) hedgeDelay(method string, mp *methodParams) time.Duration {
	if mp.hedge.percentile > 0 {
		if d := f.latencies.get(method).percentile(mp.hedge.percentile, time.Now().UnixMilli()); d > 0 {
			return d
		}
	}
	return mp.hedge.delay
}

// attemptOutcome is one hedged attempt's result.
type attemptOutcome struct {
	target protocol.Invoker
	res    protocol.Result
}

// hedged is failover with hedging (gRPC's hedging policy, within Dubbo's
// retries): the first attempt starts; whenever delay passes without an
// answer, another attempt starts on a provider not tried yet; a failed
// attempt starts the next one at once, as failover would. The first
// success (or business error) wins and the attempts still running are
// cancelled; attempts in all are at most retries + 1, and each after the
// first is withdrawn from the retry budget when there is one. Each
// attempt runs on a goroutine owned by the call, ending when its provider
// call returns (hastened by the cancellation); this path allocates.
func (f *failoverInvoker) hedged(ctx context.Context, inv protocol.Invocation, candidates []protocol.Invoker, lb loadbalance.LoadBalance,
	attempts int, probe protocol.Invoker, delay time.Duration, mp *methodParams) protocol.Result {
	hctx, cancel := context.WithCancel(ctx)
	defer cancel() // cancels the losers
	results := make(chan attemptOutcome, attempts)
	tried := make([]protocol.Invoker, 0, attempts)
	inflight := 0
	launch := func(target protocol.Invoker) {
		tried = append(tried, target)
		inflight++
		go func() { results <- attemptOutcome{target, f.call(hctx, target, inv)} }()
	}
	// another starts one more attempt on a provider not tried yet, when
	// the attempts and the budget allow; it reports whether it did.
	var lastErr error
	another := func() bool {
		if len(tried) >= attempts || ctx.Err() != nil {
			return false
		}
		list, err := f.relist(ctx, inv, mp)
		if err != nil {
			lastErr = err
			return false
		}
		target := f.selectInvoker(lb, inv, list, tried)
		if slices.Contains(tried, target) {
			return false // every provider is being tried
		}
		if f.budget != nil && !f.budget.TryWithdraw() {
			if lastErr != nil {
				lastErr = budgetExhausted(lastErr)
			}
			return false
		}
		candidates = list
		launch(target)
		return true
	}
	first := probe
	if first == nil {
		first = f.selectInvoker(lb, inv, candidates, tried)
	}
	launch(first)
	timer := time.NewTimer(delay)
	defer timer.Stop()
	for {
		select {
		case o := <-results:
			inflight--
			err := o.res.Error()
			if err == nil || protocol.IsBusiness(err) {
				return o.res
			}
			lastErr = f.rpcError(err, o.target, inv)
			if another() || inflight > 0 {
				continue
			}
			if protocol.KindOf(lastErr) == protocol.KindNoProvider && len(tried) == 0 {
				return protocol.ErrorResult(lastErr)
			}
			return protocol.ErrorResult(f.exhausted(inv, tried, len(candidates), lastErr))
		case <-timer.C:
			if another() && len(tried) < attempts {
				timer.Reset(delay)
			}
		}
	}
}
