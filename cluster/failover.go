package cluster

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"

	"github.com/fleetrpc/fleet/cluster/loadbalance"
	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/directory"
	"github.com/fleetrpc/fleet/protocol"
)

// FailoverName is the name of the failover strategy, Dubbo's default.
const FailoverName = "failover"

func init() { Register(FailoverName, &Failover{}) }

// Failover calls one provider and, when the call fails with an RPC error,
// tries another one, up to retries (method param, default 2) more times.
// A business error is returned at once, never retried, as Java Dubbo does.
// Every retry lists the directory again, so it sees the current providers.
type Failover struct {
	// LoadBalance picks each provider; nil means the balancer named by the
	// loadbalance method param of the first candidate (default random).
	LoadBalance loadbalance.LoadBalance
}

// Join implements Cluster.
func (f *Failover) Join(dir directory.Directory) protocol.Invoker {
	return &failoverInvoker{dir: dir, lb: f.LoadBalance}
}

type failoverInvoker struct {
	dir       directory.Directory     // immutable
	lb        loadbalance.LoadBalance // immutable, may be nil
	destroyed atomic.Bool
}

func (f *failoverInvoker) URL() *common.URL { return f.dir.URL() }

func (f *failoverInvoker) IsAvailable() bool { return !f.destroyed.Load() && f.dir.IsAvailable() }

func (f *failoverInvoker) Destroy() {
	if !f.destroyed.Swap(true) {
		f.dir.Destroy()
	}
}

func (f *failoverInvoker) Invoke(ctx context.Context, inv protocol.Invocation) protocol.Result {
	url := f.dir.URL()
	method := protocol.RealMethodName(inv)
	retries, err := url.MethodParamInt(method, common.RetriesKey, common.DefaultRetries)
	if err != nil {
		retries = common.DefaultRetries
	}
	attempts := max(retries+1, 1)

	var (
		tried   []protocol.Invoker
		lastErr error
		n       int
	)
	for i := 0; i < attempts; i++ {
		if f.destroyed.Load() {
			return protocol.ErrorResult(f.fail(protocol.KindUnknown, method, "cluster invoker is destroyed, can not invoke any more", nil))
		}
		if err := ctx.Err(); err != nil && i > 0 {
			break
		}
		candidates, err := f.dir.List(ctx, inv)
		if err != nil {
			return protocol.ErrorResult(err)
		}
		if len(candidates) == 0 {
			return protocol.ErrorResult(f.noProvider(method))
		}
		n = len(candidates)
		target := f.selectOne(candidates, tried, url, inv, method)
		tried = append(tried, target)
		res := target.Invoke(ctx, inv)
		err = res.Error()
		if err == nil || protocol.IsBusiness(err) {
			return res
		}
		lastErr = err
	}
	kind := protocol.KindOf(lastErr)
	addrs := make([]string, len(tried))
	for i, t := range tried {
		addrs[i] = t.URL().Address()
	}
	return protocol.ErrorResult(f.fail(kind, method, fmt.Sprintf(
		"failed to invoke the method %s in the service %s, tried %d times of the providers [%s] (%d/%d) on the consumer %s",
		method, url.ServiceInterface(), len(tried), strings.Join(addrs, ", "), len(tried), n, url.Host()), lastErr))
}

// selectOne picks among the candidates not tried yet that are available,
// then among those not tried, then among all.
func (f *failoverInvoker) selectOne(candidates, tried []protocol.Invoker, url *common.URL, inv protocol.Invocation, method string) protocol.Invoker {
	lb := f.balancer(candidates[0].URL(), method)
	if len(tried) == 0 {
		if p := lb.Select(candidates, url, inv); p != nil && (p.IsAvailable() || len(candidates) == 1) {
			return p
		}
	}
	var fresh, freshAvailable []protocol.Invoker
	for _, c := range candidates {
		if contains(tried, c) {
			continue
		}
		fresh = append(fresh, c)
		if c.IsAvailable() {
			freshAvailable = append(freshAvailable, c)
		}
	}
	switch {
	case len(freshAvailable) > 0:
		return lb.Select(freshAvailable, url, inv)
	case len(fresh) > 0:
		return lb.Select(fresh, url, inv)
	default:
		return lb.Select(candidates, url, inv)
	}
}

func (f *failoverInvoker) balancer(first *common.URL, method string) loadbalance.LoadBalance {
	if f.lb != nil {
		return f.lb
	}
	if lb, err := loadbalance.Get(first.MethodParamOr(method, common.LoadbalanceKey, common.DefaultLoadbalance)); err == nil {
		return lb
	}
	lb, _ := loadbalance.Get(loadbalance.RandomName)
	return lb
}

func (f *failoverInvoker) noProvider(method string) error {
	url := f.dir.URL()
	return f.fail(protocol.KindNoProvider, method, fmt.Sprintf(
		"failed to invoke the method %s in the service %s: no provider available for the service %s on the consumer %s, please check if the providers have been started and registered",
		method, url.ServiceInterface(), url.ServiceKey(), url.Host()), nil)
}

func (f *failoverInvoker) fail(kind protocol.Kind, method, msg string, cause error) error {
	return protocol.NewError(kind, f.dir.URL().ServiceKey(), method, "", msg, cause)
}

func contains(list []protocol.Invoker, x protocol.Invoker) bool {
	for _, v := range list {
		if v == x {
			return true
		}
	}
	return false
}
