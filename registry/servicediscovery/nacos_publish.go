package servicediscovery

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"

	"github.com/nacos-group/nacos-sdk-go/v2/model"

	"github.com/fleetrpc/fleet/common"
	inacos "github.com/fleetrpc/fleet/internal/nacos"
)

// The provider side on Nacos (register.go calls these through
// instance_publish.go): an application's instance is an ephemeral
// instance of the Nacos service <app> in the registry's group, with the
// metadata a ZooKeeper node carries (dubbo-go and Java register the same);
// the client registers it again whenever a connection comes up. The
// mapping is the config <interface> in group mapping.

// nacosInstance is a's instance at revision info as Nacos holds it.
func nacosInstance(a *appInstance, urls []*common.URL, info *MetadataInfo) model.Instance {
	return model.Instance{
		Ip: bareHost(a.host), Port: uint64(a.port), Weight: 1, Enable: true, Healthy: true, Ephemeral: true,
		Metadata: instanceMetadata(a, urls, info),
	}
}

// writeInstance registers a's instance for urls at revision info,
// replacing the one registered before.
func (n *nacosSource) writeInstance(ctx context.Context, a *appInstance, urls []*common.URL, info *MetadataInfo) error {
	if err := n.client.Register(ctx, a.app, n.group, nacosInstance(a, urls, info)); err != nil {
		return fmt.Errorf("register %s in %s: %w", a.path, n.group, err)
	}
	return nil
}

// deleteInstance deregisters the instance at p (/<app>/<ip:port>).
func (n *nacosSource) deleteInstance(ctx context.Context, p string) error {
	app, addr, _ := strings.Cut(strings.TrimPrefix(p, "/"), "/")
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("deregister %s: %w", p, err)
	}
	pn, err := strconv.ParseUint(port, 10, 16)
	if err != nil {
		return fmt.Errorf("deregister %s: %w", p, err)
	}
	if err := n.client.Deregister(ctx, app, n.group, host, pn); err != nil {
		return fmt.Errorf("deregister %s in %s: %w", p, n.group, err)
	}
	return nil
}

// publishMapping adds app to the mapping config of iface, as dubbo-go's
// Nacos metadata report does: read, append when missing, publish. Nacos
// has no versioned write here, so two applications adding themselves at
// the same moment may need a second Register.
func (n *nacosSource) publishMapping(ctx context.Context, iface, app string) error {
	old, err := n.client.GetConfig(ctx, iface, MappingGroup)
	if err != nil && !errors.Is(err, inacos.ErrConfigNotFound) {
		return fmt.Errorf("mapping of %s: %w", iface, err)
	}
	old = strings.TrimSpace(old)
	if slices.Contains(parseMapping(old), app) {
		return nil
	}
	next := app
	if old != "" {
		next = old + "," + app
	}
	if err := n.client.PublishConfig(ctx, iface, MappingGroup, next); err != nil {
		return fmt.Errorf("mapping of %s: %w", iface, err)
	}
	return nil
}
