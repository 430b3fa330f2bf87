package cluster

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/fleetrpc/fleet/cluster/loadbalance"
	"github.com/fleetrpc/fleet/directory"
	"github.com/fleetrpc/fleet/protocol"
)

// FailfastName is the name of the failfast strategy.
const FailfastName = "failfast"

func init() { Register(FailfastName, &Failfast{}) }

// Failfast calls one provider, once (cluster.md §3), for calls that must
// not be repeated. A business error is returned as is; any other failure
// keeps its kind (KindUnknown for an error without one) and reads:
//
//	Failfast invoke providers <url> <lb> select from all providers <candidates> for service <iface> method <m> on consumer <ip> use dubbo version <v>, but no luck to perform the invocation. Last error is: <cause>
type Failfast struct {
	// LoadBalance picks the provider; nil means the loadbalance param.
	LoadBalance loadbalance.LoadBalance
	// Stats receives every attempt; nil means loadbalance.DefaultStats().
	Stats *loadbalance.Stats
	// Logger logs; nil means slog.Default().
	Logger *slog.Logger
}

// Join implements Cluster.
func (f *Failfast) Join(dir directory.Directory) protocol.Invoker {
	return &failfastInvoker{newBase(dir, f.LoadBalance, f.Stats, f.Logger, FailfastName)}
}

type failfastInvoker struct{ *base }

func (f *failfastInvoker) Invoke(ctx context.Context, inv protocol.Invocation) protocol.Result {
	return f.invoke(ctx, inv, f.doInvoke)
}

func (f *failfastInvoker) doInvoke(ctx context.Context, inv protocol.Invocation, candidates []protocol.Invoker, lb loadbalance.LoadBalance) protocol.Result {
	if err := f.checkInvokers(candidates, inv); err != nil {
		return protocol.ErrorResult(err)
	}
	target := f.selectInvoker(lb, inv, candidates, nil)
	res := f.call(ctx, target, inv)
	err := res.Error()
	if err == nil || protocol.IsBusiness(err) {
		return res
	}
	u := f.dir.URL()
	method := protocol.RealMethodName(inv)
	return protocol.ErrorResult(protocol.NewError(protocol.KindOf(err), u.ServiceKey(), method, target.URL().Address(), fmt.Sprintf(
		"Failfast invoke providers %s %s select from all providers %s for service %s method %s on consumer %s use dubbo version %s, but no luck to perform the invocation. Last error is",
		target.URL(), balancerName(lb), listString(candidates), u.ServiceInterface(), method, f.consumerHost(), f.version()), err))
}
