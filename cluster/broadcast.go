package cluster

import (
	"context"
	"log/slog"

	"github.com/fleetrpc/fleet/cluster/loadbalance"
	"github.com/fleetrpc/fleet/directory"
	"github.com/fleetrpc/fleet/protocol"
)

// BroadcastName is the name of the broadcast strategy.
const BroadcastName = "broadcast"

// BroadcastFailPercentKey is the consumer URL param bounding broadcast's
// failures, 0–100 (default 100; out of range means 100).
const BroadcastFailPercentKey = "broadcast.fail.percent"

func init() { Register(BroadcastName, &Broadcast{}) }

// Broadcast calls every candidate, one after the other in the directory's
// order (cluster.md §3), for calls such as cache refreshes. A failure is an
// RPC error or a business error. With n candidates and p the
// broadcast.fail.percent param, it stops calling once max(n×p/100, 1)
// calls failed (integer division). If any call failed it fails with the
// last failure, else it returns the last result.
type Broadcast struct {
	// Stats receives every attempt; nil means loadbalance.DefaultStats().
	Stats *loadbalance.Stats
	// Logger logs the failures at Debug; nil means slog.Default().
	Logger *slog.Logger
}

// Join implements Cluster.
func (b *Broadcast) Join(dir directory.Directory) protocol.Invoker {
	return &broadcastInvoker{newBase(dir, nil, b.Stats, b.Logger, BroadcastName)}
}

type broadcastInvoker struct{ *base }

func (b *broadcastInvoker) Invoke(ctx context.Context, inv protocol.Invocation) protocol.Result {
	return b.invoke(ctx, inv, b.doInvoke)
}

func (b *broadcastInvoker) doInvoke(ctx context.Context, inv protocol.Invocation, candidates []protocol.Invoker, _ loadbalance.LoadBalance) protocol.Result {
	if err := b.checkInvokers(candidates, inv); err != nil {
		return protocol.ErrorResult(err)
	}
	percent, err := b.dir.URL().ParamInt(BroadcastFailPercentKey, 100)
	if err != nil || percent < 0 || percent > 100 {
		percent = 100
	}
	threshold := max(len(candidates)*percent/100, 1)
	var (
		last     protocol.Result
		lastErr  error
		failures int
	)
	for _, iv := range candidates {
		last = b.call(ctx, iv, inv)
		if err := last.Error(); err != nil {
			lastErr = b.rpcError(err, iv, inv)
			failures++
			if b.logger.Enabled(ctx, slog.LevelDebug) {
				b.logger.DebugContext(ctx, "broadcast call failed", "provider", iv.URL().Address(), "error", err)
			}
			if failures >= threshold {
				break
			}
		}
	}
	if lastErr != nil {
		return protocol.ErrorResult(lastErr)
	}
	return last
}
