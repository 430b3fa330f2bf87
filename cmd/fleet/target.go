package main

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/fleetrpc/fleet/cluster"
	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/directory"
	"github.com/fleetrpc/fleet/protocol"
	"github.com/fleetrpc/fleet/registry"
	regprotocol "github.com/fleetrpc/fleet/registry/protocol"
)

// callOptions are the reference settings invoke and bench share.
type callOptions struct {
	group, version string
	timeout        time.Duration
	retries        int
	loadbalance    string
	cluster        string
}

func (o *callOptions) consumerParams(iface string) map[string]string {
	p := map[string]string{
		common.InterfaceKey:   iface,
		common.SideKey:        "consumer",
		common.ApplicationKey: "fleet-cli",
		common.RetriesKey:     strconv.Itoa(o.retries),
		common.TimeoutKey:     strconv.FormatInt(o.timeout.Milliseconds(), 10),
		"dubbo":               "2.0.2",
		// The command line is a visitor: it does not register itself as a
		// consumer of the service.
		common.RegisterKey: "false",
	}
	set := func(k, v string) {
		if v != "" {
			p[k] = v
		}
	}
	set(common.GroupKey, o.group)
	set(common.VersionKey, o.version)
	set(common.LoadbalanceKey, o.loadbalance)
	set(common.ClusterKey, o.cluster)
	return p
}

// isRegistryURL reports whether u names a registry (zookeeper://,
// memory://, registry://…) rather than a provider (dubbo://host:port).
func isRegistryURL(u *common.URL) bool {
	return u.Protocol() == regprotocol.RegistryScheme || slices.Contains(registry.Schemes(), u.Protocol())
}

// referTarget returns an invoker for iface at target: through the registry
// a registry URL names (directory, routers, cluster), or straight to the
// provider a dubbo://host:port URL names (a static directory and the
// cluster). The cleanup func releases it.
func referTarget(ctx context.Context, target, iface string, o *callOptions) (protocol.Invoker, func(), error) {
	u, err := common.Parse(target)
	if err != nil {
		return nil, nil, err
	}
	params := o.consumerParams(iface)
	if isRegistryURL(u) {
		rp := regprotocol.New()
		inv, err := rp.Refer(ctx, u.WithParam(common.ReferKey, common.Encode(common.ToQueryString(params))))
		if err != nil {
			rp.Destroy()
			return nil, nil, err
		}
		return inv, rp.Destroy, nil
	}
	p, err := protocol.Get(u.Protocol())
	if err != nil {
		return nil, nil, fmt.Errorf("%s is neither a registry (%v) nor a provider protocol: %w", target, registry.Schemes(), err)
	}
	provider := u.WithPath(iface).WithParams(params)
	inv, err := p.Refer(provider)
	if err != nil {
		return nil, nil, err
	}
	c, err := cluster.Get(provider.ParamOr(common.ClusterKey, common.DefaultCluster))
	if err != nil {
		inv.Destroy()
		return nil, nil, err
	}
	consumer := common.NewURL("consumer", localIP(), 0, iface, params)
	joined := c.Join(directory.NewStatic(consumer, []protocol.Invoker{inv}))
	return joined, joined.Destroy, nil
}
