package cluster

import (
	"context"
	"log/slog"

	"github.com/fleetrpc/fleet/cluster/loadbalance"
	"github.com/fleetrpc/fleet/directory"
	"github.com/fleetrpc/fleet/protocol"
)

// FailsafeName is the name of the failsafe strategy.
const FailsafeName = "failsafe"

func init() { Register(FailsafeName, &Failsafe{}) }

// Failsafe calls one provider once and swallows RPC failures (cluster.md
// §3), for calls whose failure does not matter, such as audit logging: a
// failure, no provider included, is logged at Error ("Failsafe ignore
// exception: …") and an empty successful result (nil value) is returned.
// A business error is the provider's answer and is returned as is, as in
// Java, where it travels in the result.
type Failsafe struct {
	// LoadBalance picks the provider; nil means the loadbalance param.
	LoadBalance loadbalance.LoadBalance
	// Stats receives every attempt; nil means loadbalance.DefaultStats().
	Stats *loadbalance.Stats
	// Logger logs the failures; nil means slog.Default().
	Logger *slog.Logger
}

// Join implements Cluster.
func (f *Failsafe) Join(dir directory.Directory) protocol.Invoker {
	return &failsafeInvoker{newBase(dir, f.LoadBalance, f.Stats, f.Logger, FailsafeName)}
}

type failsafeInvoker struct{ *base }

func (f *failsafeInvoker) Invoke(ctx context.Context, inv protocol.Invocation) protocol.Result {
	return f.invoke(ctx, inv, f.doInvoke)
}

func (f *failsafeInvoker) doInvoke(ctx context.Context, inv protocol.Invocation, candidates []protocol.Invoker, lb loadbalance.LoadBalance) protocol.Result {
	err := f.checkInvokers(candidates, inv)
	if err == nil {
		target := f.selectInvoker(lb, inv, candidates, nil)
		res := f.call(ctx, target, inv)
		if err = res.Error(); err == nil || protocol.IsBusiness(err) {
			return res
		}
	}
	f.logger.ErrorContext(ctx, "Failsafe ignore exception: "+err.Error(), "method", protocol.RealMethodName(inv), "error", err)
	return emptyResult()
}
