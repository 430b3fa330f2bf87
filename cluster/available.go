package cluster

import (
	"context"
	"log/slog"

	"github.com/fleetrpc/fleet/cluster/loadbalance"
	"github.com/fleetrpc/fleet/directory"
	"github.com/fleetrpc/fleet/protocol"
)

// AvailableName is the name of the available strategy.
const AvailableName = "available"

func init() { Register(AvailableName, &Available{}) }

// Available calls the first available candidate, in the directory's order,
// without load balancing or retries (cluster.md §3). With none it fails
// with KindNoProvider: "No provider available in <candidates>".
type Available struct {
	// Stats receives every attempt; nil means loadbalance.DefaultStats().
	Stats *loadbalance.Stats
	// Logger logs; nil means slog.Default().
	Logger *slog.Logger
}

// Join implements Cluster.
func (a *Available) Join(dir directory.Directory) protocol.Invoker {
	return &availableInvoker{newBase(dir, nil, a.Stats, a.Logger, AvailableName)}
}

type availableInvoker struct{ *base }

func (a *availableInvoker) Invoke(ctx context.Context, inv protocol.Invocation) protocol.Result {
	return a.invoke(ctx, inv, a.doInvoke)
}

func (a *availableInvoker) doInvoke(ctx context.Context, inv protocol.Invocation, candidates []protocol.Invoker, _ loadbalance.LoadBalance) protocol.Result {
	for _, iv := range candidates {
		if iv.IsAvailable() {
			return a.call(ctx, iv, inv)
		}
	}
	return protocol.ErrorResult(a.noProviderIn(candidates, inv))
}
