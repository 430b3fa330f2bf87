package cluster

import (
	"context"
	"fmt"
	"log/slog"
	"slices"

	"github.com/fleetrpc/fleet/cluster/loadbalance"
	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/directory"
	"github.com/fleetrpc/fleet/protocol"
)

// ForkingName is the name of the forking strategy.
const ForkingName = "forking"

// DefaultForks is the default of the forks param.
const DefaultForks = 2

func init() { Register(ForkingName, &Forking{}) }

// Forking calls several providers in parallel and returns the first result
// (cluster.md §3), for latency-critical reads: forks (consumer URL param,
// default 2; ≤ 0 or ≥ the candidates means all of them) distinct providers
// chosen by select. The first result that arrives wins, a business error
// included; the other calls are cancelled through their context. The call
// fails only when every fork failed, with the last error's kind:
//
//	Failed to forking invoke provider <selected>, but no luck to perform the invocation. Last error is: <cause>
//
// or with KindTimeout when nothing arrived within the timeout param
// (default 1000 ms) or before ctx ended. Each fork runs on its own
// goroutine, owned by the call: it ends when its provider call returns,
// which the cancellation hastens.
type Forking struct {
	// LoadBalance picks the providers; nil means the loadbalance param.
	LoadBalance loadbalance.LoadBalance
	// Stats receives every attempt; nil means loadbalance.DefaultStats().
	Stats *loadbalance.Stats
	// Logger logs; nil means slog.Default().
	Logger *slog.Logger
}

// Join implements Cluster.
func (f *Forking) Join(dir directory.Directory) protocol.Invoker {
	return &forkingInvoker{newBase(dir, f.LoadBalance, f.Stats, f.Logger, ForkingName)}
}

type forkingInvoker struct{ *base }

func (f *forkingInvoker) Invoke(ctx context.Context, inv protocol.Invocation) protocol.Result {
	return f.invoke(ctx, inv, f.doInvoke)
}

func (f *forkingInvoker) doInvoke(ctx context.Context, inv protocol.Invocation, candidates []protocol.Invoker, lb loadbalance.LoadBalance) protocol.Result {
	if err := f.checkInvokers(candidates, inv); err != nil {
		return protocol.ErrorResult(err)
	}
	u := f.dir.URL()
	// Bounded as common says: forks < 0 is 0 (all), a timeout <= 0 the
	// default; the directory logs bad values.
	forks, _ := u.ParamNonNegativeInt(common.ForksKey, DefaultForks)
	timeout, _ := u.ParamPositiveDuration(common.TimeoutKey, common.DefaultTimeout)
	selected := candidates
	if forks > 0 && forks < len(candidates) {
		selected = make([]protocol.Invoker, 0, forks)
		for i := 0; i < forks; i++ {
			if p := f.selectInvoker(lb, inv, candidates, selected); !slices.Contains(selected, p) {
				selected = append(selected, p)
			}
		}
	}
	fctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel() // cancels the losers
	results := make(chan protocol.Result, len(selected))
	for _, iv := range selected {
		go func() { results <- f.call(fctx, iv, inv) }()
	}
	method := protocol.RealMethodName(inv)
	for failures := 0; ; {
		select {
		case res := <-results:
			err := res.Error()
			if err == nil || protocol.IsBusiness(err) {
				return res
			}
			if failures++; failures < len(selected) {
				continue
			}
			err = f.rpcError(err, nil, inv)
			return protocol.ErrorResult(protocol.NewError(protocol.KindOf(err), u.ServiceKey(), method, "", fmt.Sprintf(
				"Failed to forking invoke provider %s, but no luck to perform the invocation. Last error is", listString(selected)), err))
		case <-fctx.Done():
			return protocol.ErrorResult(protocol.NewError(protocol.KindTimeout, u.ServiceKey(), method, "", fmt.Sprintf(
				"Failed to forking invoke provider %s, no result within %s", listString(selected), timeout), fctx.Err()))
		}
	}
}
