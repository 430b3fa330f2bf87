package cluster

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	"github.com/fleetrpc/fleet/cluster/loadbalance"
	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/directory"
	"github.com/fleetrpc/fleet/protocol"
)

// MergeableName is the name of the mergeable strategy.
const MergeableName = "mergeable"

// MergerKey is the method param of the consumer URL naming how mergeable
// merges: empty (or false, 0, null, N/A) calls one group; true or default
// merges by the kind of the values; ".name" calls the method name (or
// Name) of the first value with each other one; any other value names a
// Merger (RegisterMerger).
const MergerKey = "merger"

func init() { Register(MergeableName, &Mergeable{}) }

// Mergeable serves a reference to several groups (group=* or a list): its
// candidates are one cluster invoker per group (cluster.md §3).
//
// Without a merger it calls one group: the first available one, moving to
// the next when a call fails for want of a provider (KindNoProvider);
// other failures are returned. With no group available it calls the
// first.
//
// With a merger it calls every group in parallel, each within the timeout
// method param (default 1000 ms) and ctx, and merges the values of the
// successful calls. A group that answers with a business error is logged
// and left out; any other failure fails the call ("Failed to invoke
// service <group service key>: …", its kind kept). With no value the result
// is empty; with one it is that result.
type Mergeable struct {
	// Stats receives every attempt; nil means loadbalance.DefaultStats().
	Stats *loadbalance.Stats
	// Logger logs the groups left out; nil means slog.Default().
	Logger *slog.Logger
}

// Join implements Cluster.
func (m *Mergeable) Join(dir directory.Directory) protocol.Invoker {
	return &mergeableInvoker{newBase(dir, nil, m.Stats, m.Logger, MergeableName)}
}

type mergeableInvoker struct{ *base }

func (m *mergeableInvoker) Invoke(ctx context.Context, inv protocol.Invocation) protocol.Result {
	return m.invoke(ctx, inv, m.doInvoke)
}

// noMerger reports whether a merger param value means none (Java's
// ConfigUtils.isEmpty).
func noMerger(v string) bool {
	switch strings.ToLower(v) {
	case "", "false", "0", "null", "n/a":
		return true
	}
	return false
}

func (m *mergeableInvoker) doInvoke(ctx context.Context, inv protocol.Invocation, candidates []protocol.Invoker, _ loadbalance.LoadBalance) protocol.Result {
	if err := m.checkInvokers(candidates, inv); err != nil {
		return protocol.ErrorResult(err)
	}
	u := m.dir.URL()
	method := protocol.RealMethodName(inv)
	merger, _ := u.MethodParam(method, MergerKey)
	if noMerger(merger) {
		for _, group := range candidates {
			if !group.IsAvailable() {
				continue
			}
			res := m.call(ctx, group, inv)
			if err := res.Error(); protocol.KindOf(err) == protocol.KindNoProvider {
				if m.logger.Enabled(ctx, slog.LevelDebug) {
					m.logger.DebugContext(ctx, "no provider in group, trying the next", "group", group.URL().ServiceKey(), "error", err)
				}
				continue
			}
			return res
		}
		return m.call(ctx, candidates[0], inv)
	}

	timeout, _ := u.MethodParamPositiveDuration(method, common.TimeoutKey, common.DefaultTimeout)
	gctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	results := make([]protocol.Result, len(candidates))
	done := make(chan int, len(candidates))
	for i, group := range candidates {
		go func() {
			results[i] = m.call(gctx, group, inv)
			done <- i
		}()
	}
	for range candidates {
		<-done // every call honours gctx, so this wait is bounded
	}
	var values []any
	var kept protocol.Result
	for i, res := range results {
		err := res.Error()
		switch {
		case err == nil:
			values = append(values, res.Value())
			kept = res
		case protocol.IsBusiness(err):
			m.logger.ErrorContext(ctx, "Invoke "+candidates[i].URL().ServiceKey()+" failed: "+err.Error(), "error", err)
		default:
			return protocol.ErrorResult(protocol.NewError(protocol.KindOf(err), u.ServiceKey(), method, "",
				"Failed to invoke service "+candidates[i].URL().ServiceKey(), err))
		}
	}
	switch len(values) {
	case 0:
		return emptyResult()
	case 1:
		return kept
	}
	merged, err := mergeValues(merger, values)
	if err != nil {
		return protocol.ErrorResult(protocol.NewError(protocol.KindUnknown, u.ServiceKey(), method, "", "", err))
	}
	return protocol.NewResult(merged, nil)
}

func mergeValues(merger string, values []any) (any, error) {
	switch {
	case strings.HasPrefix(merger, "."):
		return mergeByMethod(merger[1:], values)
	case strings.EqualFold(merger, "true") || strings.EqualFold(merger, "default"):
		var first any
		for _, v := range values {
			if v != nil {
				first = v
				break
			}
		}
		mg, err := mergerForValue(first)
		if err != nil {
			return nil, err
		}
		return mg.Merge(values)
	default:
		mg, ok := getMerger(merger)
		if !ok {
			return nil, fmt.Errorf("cluster: unknown merger %q", merger)
		}
		return mg.Merge(values)
	}
}
