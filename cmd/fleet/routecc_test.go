package main

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/internal/testutil"
	"github.com/fleetrpc/fleet/internal/zktest"
	"github.com/fleetrpc/fleet/protocol/service"
	regprotocol "github.com/fleetrpc/fleet/registry/protocol"
)

// TestRouteShowsConfigCenterRules: rules put with fleet rule into the
// registry's ZooKeeper (its default config center) take part in fleet
// route: a condition rule names the provider it removed, a configurator
// disables another, a rule that does not parse is reported and skipped.
func TestRouteShowsConfigCenterRules(t *testing.T) {
	zk := zktest.Addr(t)
	group := fmt.Sprintf("fleet-routecc-%d", time.Now().UnixNano())
	regURL := "zookeeper://" + zk + "?group=" + group + "&file.cache=false"
	rp := regprotocol.New(regprotocol.WithoutConfigCenter())
	t.Cleanup(rp.Destroy)
	var ports []int
	for i := 0; i < 3; i++ {
		port := testutil.FreePort(t)
		ports = append(ports, port)
		u := common.MustParse(fmt.Sprintf("dubbo://127.0.0.1:%d/%s?interface=%s&methods=sayHello&side=provider&application=shop-provider", port, iface, iface))
		svc, err := service.New(u, greeter{})
		require.NoError(t, err)
		exp, err := rp.Export(context.Background(), common.MustParse(regURL), svc)
		require.NoError(t, err)
		t.Cleanup(exp.Unexport)
	}
	t.Cleanup(func() {
		for _, k := range []string{iface + "::.condition-router", "shop.configurators"} {
			fleet("rule", "rm", regURL, k)
		}
	})

	cond := writeTemp(t, fmt.Sprintf("scope: service\nkey: %s\nforce: true\nconditions: [\"=> port != %d\"]\n", iface, ports[0]))
	code, _, stderr := fleet("rule", "put", regURL, iface+"::.condition-router", cond)
	require.Equal(t, 0, code, stderr)
	conf := writeTemp(t, fmt.Sprintf("configVersion: v2.7\nscope: application\nkey: shop\nconfigs:\n  - side: consumer\n    providerAddresses: [\"127.0.0.1:%d\"]\n    parameters: {disabled: true}\n", ports[1]))
	code, _, stderr = fleet("rule", "put", regURL, "shop.configurators", conf)
	require.Equal(t, 0, code, stderr)

	code, stdout, stderr := fleet("route", regURL, iface, "--method", "sayHello", "--consumer", "application=shop", "--consumer", "host=10.1.1.1")
	require.Equal(t, 0, code, stderr)
	require.Contains(t, stdout, "config-center rules: shop.configurators, "+iface+"::.condition-router")
	require.Contains(t, stdout, fmt.Sprintf("removed 127.0.0.1:%d", ports[0]), "the condition rule")
	require.NotContains(t, stdout, fmt.Sprintf("127.0.0.1:%d", ports[1]), "disabled by the configurator: not even a candidate")
	require.Contains(t, stdout, fmt.Sprintf("127.0.0.1:%d", ports[2]))

	code, stdout, stderr = fleet("ls", regURL, iface)
	require.Equal(t, 0, code, stderr)
	require.Contains(t, stdout, "config-center\t"+iface+"::.condition-router\n\t  scope: service\n")
	require.Contains(t, stdout, fmt.Sprintf("\t  conditions: [\"=> port != %d\"]\n", ports[0]))

	code, _, stderr = fleet("rule", "put", regURL, iface+"::.condition-router", writeTemp(t, "conditions: [\"=> host == 1\"]\n"), "--no-check")
	require.Equal(t, 0, code, stderr)
	code, stdout, stderr = fleet("route", regURL, iface, "--consumer", "application=shop")
	require.Equal(t, 0, code, stderr)
	require.Contains(t, stderr, iface+"::.condition-router skipped")
	require.True(t, strings.HasPrefix(stdout, "config-center rules: shop.configurators\n"), stdout)
}
