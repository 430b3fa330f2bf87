package servicediscovery

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
	"time"

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
// Nacos metadata report does: read, append when missing, publish. Java
// publishes conditionally (publishConfigCas), which polaris v1.18.1
// refuses whatever the MD5 (it drops the condition's MD5 and compares an
// empty one), so instead the writer reads the mapping back until it has
// listed app for mappingSettle without a break: a content that is neither
// the one it read nor the one it wrote is another application's write, and
// app is appended to it again (an answer still showing the content it read
// is a server cache not refreshed yet). A concurrent writer whose read was
// stale can drop app only with a write that lands within about a cache
// refresh of app's, and reads show that within another refresh, so a
// settle window above two refreshes sees every such loss. The mapping only
// grows, so the content moves forward. Only a writer that adds app waits
// that long (the first registration of app's service anywhere); one that
// finds app listed returns after one read.
func (n *nacosSource) publishMapping(ctx context.Context, iface, app string) error {
	var base string      // the content the last write appended to
	var listed time.Time // since when reads list app after the last write; zero: they do not
	written := false
	deadline := time.Now().Add(mappingDeadline)
	for i := 0; ; i++ {
		if i > 0 {
			if time.Now().After(deadline) {
				n.r.log.Warn("application-level discovery: mapping written but not read back", "interface", iface, "app", app)
				return nil
			}
			select {
			case <-ctx.Done():
				if !listed.IsZero() {
					return nil // written and read back; the settle window was cut short
				}
				return fmt.Errorf("mapping of %s: %w", iface, ctx.Err())
			case <-time.After(mappingRetryWait):
			}
		}
		cur, err := n.client.GetConfig(ctx, iface, MappingGroup)
		if err != nil && !errors.Is(err, inacos.ErrConfigNotFound) {
			return fmt.Errorf("mapping of %s: %w", iface, err)
		}
		cur = strings.TrimSpace(cur)
		switch {
		case slices.Contains(parseMapping(cur), app):
			if !written {
				return nil // listed before this writer came
			}
			if listed.IsZero() {
				listed = time.Now()
			}
			if time.Since(listed) >= mappingSettle {
				return nil
			}
			continue
		case written && (cur == base || cur == ""): // not visible yet
			listed = time.Time{}
			continue
		}
		listed, base = time.Time{}, cur
		wrote := app
		if cur != "" {
			wrote = cur + "," + app
		}
		if err := n.client.PublishConfig(ctx, iface, MappingGroup, wrote); err != nil {
			return fmt.Errorf("mapping of %s: %w", iface, err)
		}
		written = true
	}
}

// The bounds of publishMapping's unconditional writes: reads every
// mappingRetryWait; app listed for mappingSettle (above two of polaris's
// config cache refreshes, about a second each) after the last write; no
// more than mappingDeadline in all.
const (
	mappingRetryWait = 200 * time.Millisecond
	mappingSettle    = 3 * time.Second
	mappingDeadline  = 30 * time.Second
)
