package main

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/internal/sdtest"
	"github.com/fleetrpc/fleet/internal/testutil"
	"github.com/fleetrpc/fleet/internal/zktest"
	"github.com/fleetrpc/fleet/protocol/service"
	regprotocol "github.com/fleetrpc/fleet/registry/protocol"
)

// TestCommandsFindApplicationLevelProviders: a provider registered per
// application only (register-mode instance: no /dubbo/<interface>/providers
// node) is listed through service-discovery-registry:// and reached by
// invoke through the plain zookeeper:// URL, which migrates
// (APPLICATION_FIRST) because the tool imports registry/servicediscovery.
func TestCommandsFindApplicationLevelProviders(t *testing.T) {
	zk := zktest.Addr(t)
	env := sdtest.New(t, zk) // fresh roots, removed at cleanup
	params := env.Params() + "&file.cache=false"
	sdURL := "service-discovery-registry://" + zk + "?registry=zookeeper&" + params
	zkURL := "zookeeper://" + zk + "?" + params

	rp := regprotocol.New()
	t.Cleanup(rp.Destroy)
	u := common.MustParse(fmt.Sprintf("dubbo://127.0.0.1:%d/%s?interface=%s&methods=sayHello,add,find&side=provider&version=2.0.0&application=fleet-cli-app",
		testutil.FreePort(t), iface, iface))
	svc, err := service.New(u, greeter{})
	require.NoError(t, err)
	exp, err := rp.Export(context.Background(), common.MustParse(sdURL), svc)
	require.NoError(t, err)
	t.Cleanup(exp.Unexport)
	require.True(t, env.Exists("/"+env.Group+"/mapping/"+iface), "the mapping is published")
	require.False(t, env.Exists("/"+env.Group+"/"+iface+"/providers"), "no interface-level node")

	code, stdout, stderr := fleet("ls", sdURL, iface)
	require.Equal(t, 0, code, stderr)
	require.True(t, strings.HasPrefix(stdout, "providers\tdubbo://"+u.Address()+"/"+iface+"?"), stdout)

	code, stdout, stderr = fleet("invoke", zkURL, iface, "sayHello", `"app"`, "--version", "2.0.0")
	require.Equal(t, 0, code, stderr)
	require.Equal(t, "\"Hello app\"\n", stdout)

	code, _, stderr = fleet("invoke", zkURL+"&registry-type=interface", iface, "sayHello", `"x"`, "--version", "2.0.0")
	require.Equal(t, 1, code, "interface-level only: the provider is not there")
	require.Contains(t, stderr, "No provider available")
}
