package interop

import (
	"context"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nacos-group/nacos-sdk-go/v2/model"
	"github.com/stretchr/testify/require"

	"github.com/fleetrpc/fleet/common"
	inacos "github.com/fleetrpc/fleet/internal/nacos"
	"github.com/fleetrpc/fleet/internal/nacos/nacostest"
	"github.com/fleetrpc/fleet/registry/servicediscovery"
)

// A dubbo-go v3.3.0 consumer in application-level mode on Nacos (polaris)
// finds a fleet provider registered through servicediscovery's Register on
// Nacos (the instance of service <app>, the mapping config, the
// MetadataService on the provider's port) and calls it. What fleet wrote
// is checked.
func TestDubboGoAppConsumerCallsFleetProviderOnNacos(t *testing.T) {
	addr := nacostest.Addr(t)
	ns := nacostest.Unique(t)
	id := strconv.FormatInt(time.Now().UnixNano()%1e9, 36)
	iface, app, consumerApp := "org.fleet.interop.NacosAppProvided"+id, "fleet-nacos-app-"+id, "dubbo-go-nacos-consumer-"+id
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	bin := buildGoChild(t, "appconsumerchild", appConsumerChild)
	port := freePort()

	u, proto := exportAppProvider(t, iface, app, port, quiet)
	reg, err := servicediscovery.NewNacos(common.MustParse("service-discovery-registry://"+addr+"?registry=nacos&namespace="+ns+"&timeout=10000"),
		servicediscovery.WithLogger(quiet), servicediscovery.WithMetadataProtocol(proto))
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, reg.Close()) })
	ctx := t.Context()
	require.NoError(t, reg.Register(ctx, u))

	// What fleet wrote: the instance with Dubbo 3's metadata and the
	// mapping; no interface-level provider.
	obs := nacosObserver(t, addr, ns)
	inst := onlyInstance(t, obs, app)
	require.Equal(t, "127.0.0.1", inst.Ip)
	require.Equal(t, uint64(port), inst.Port)
	require.Regexp(t, `^[0-9a-f]{32}$`, inst.Metadata[servicediscovery.RevisionKey])
	require.Equal(t, "local", inst.Metadata[servicediscovery.StorageTypeKey])
	require.Equal(t, `[{"port":`+strconv.Itoa(port)+`,"protocol":"dubbo"}]`, inst.Metadata[servicediscovery.EndpointsKey])
	require.Contains(t, inst.Metadata[servicediscovery.MetadataServiceParamsKey], `"port":"`+strconv.Itoa(port)+`"`)
	require.Eventually(t, func() bool {
		m, err := obs.GetConfig(context.Background(), iface, servicediscovery.MappingGroup)
		return err == nil && m == app
	}, 15*time.Second, 100*time.Millisecond, "the mapping config %s in group mapping", iface)
	var ifaceHosts []model.Instance
	if s, err := obs.Query(context.Background(), "providers:"+iface+"::", inacos.DefaultGroup); err == nil {
		ifaceHosts = s.Hosts
	}
	require.Empty(t, ifaceHosts, "fleet registered interface-level too")

	// dubbo-go's consumer finds the provider by the application alone and
	// calls it.
	line := runConsumerChild(t, bin, "nacos", addr, ns, iface, consumerApp, strconv.Itoa(freePort()))
	require.Equal(t, "reply: hello dubbo-go from fleet", line)
	m, err := obs.GetConfig(context.Background(), iface, servicediscovery.MappingGroup)
	require.NoError(t, err)
	require.Equal(t, app, strings.TrimSpace(m), "the mapping untouched by the consumer")
}
