package interop

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/fleetrpc/fleet/common"
	inacos "github.com/fleetrpc/fleet/internal/nacos"
	"github.com/fleetrpc/fleet/internal/nacos/nacostest"
	"github.com/fleetrpc/fleet/protocol"
	regprotocol "github.com/fleetrpc/fleet/registry/protocol"
	"github.com/fleetrpc/fleet/registry/servicediscovery"
)

// fleet finds a dubbo-go v3.3.0 provider registered in Nacos (polaris)
// with dubbo-go's default configuration (application-level only: no
// providers:<interface>:: service) through application-level discovery,
// and calls it through its registry protocol, RegistryDirectory and
// failover cluster.
func TestNacosAppDiscoveryFindsDubboGoProvider(t *testing.T) {
	addr := nacostest.Addr(t)
	ns := nacostest.Unique(t)
	id := strconv.FormatInt(time.Now().UnixNano()%1e9, 36)
	iface, app := "org.fleet.interop.NacosAppGreeter"+id, "dubbo-go-nacos-app-"+id
	port, msPort := freePort(), freePort()
	bin := buildAppDiscoveryChild(t)
	startChild(t, bin, "nacos", addr, ns, strconv.Itoa(port), strconv.Itoa(msPort), iface, app)
	obs := nacosObserver(t, addr, ns)

	// What dubbo-go wrote: the instance with Dubbo's metadata, the mapping,
	// and no interface-level providers.
	inst := onlyInstance(t, obs, app)
	require.Equal(t, "127.0.0.1", inst.Ip)
	require.Equal(t, uint64(port), inst.Port)
	require.NotEmpty(t, inst.Metadata[servicediscovery.RevisionKey])
	require.Equal(t, "local", inst.Metadata[servicediscovery.StorageTypeKey])
	require.Contains(t, inst.Metadata[servicediscovery.MetadataServiceParamsKey], `"port":"`+strconv.Itoa(msPort)+`"`)
	require.Eventually(t, func() bool {
		m, err := obs.GetConfig(context.Background(), iface, servicediscovery.MappingGroup)
		return err == nil && strings.Contains(","+m+",", ","+app+",")
	}, 15*time.Second, 100*time.Millisecond, "the mapping config %s in group mapping", iface)
	svc, err := obs.Query(context.Background(), "providers:"+iface+"::", inacos.DefaultGroup)
	if err == nil {
		require.Empty(t, svc.Hosts, "dubbo-go registered interface-level too")
	}

	regURL := "service-discovery-registry://" + addr + "?registry=nacos&namespace=" + ns + "&timeout=10000"
	reg, err := servicediscovery.NewNacos(common.MustParse(regURL), servicediscovery.WithLogger(discard))
	require.NoError(t, err)
	defer reg.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	lookupAndCall(ctx, t, reg, regURL, iface, "fleet-interop-nacos-app", port, "hello fleet from dubbo-go on nacos")

	// Through the plain Nacos registry URL a reference migrates between the
	// two levels (APPLICATION_FIRST, Dubbo 3's default): the provider is
	// found at the application level only, and called.
	rp := regprotocol.New(regprotocol.WithLogger(discard))
	defer rp.Destroy()
	refer := common.ToQueryString(map[string]string{"interface": iface, "application": "fleet-interop-nacos-app", "check": "true", "timeout": "5000"})
	migrating := "registry://" + addr + "?registry=nacos&namespace=" + ns + "&timeout=10000&nacos.poll=500ms"
	ref2, err := rp.Refer(ctx, common.MustParse(migrating+"&refer="+common.Encode(refer)))
	require.NoError(t, err)
	defer ref2.Destroy()
	res := ref2.Invoke(ctx, protocol.NewInvocation("sayHello", "migrating fleet"))
	require.NoError(t, res.Error())
	require.Equal(t, "hello migrating fleet from dubbo-go on nacos", res.Value())
}
