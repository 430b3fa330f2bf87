package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/internal/testutil"
	"github.com/fleetrpc/fleet/protocol/service"
	regprotocol "github.com/fleetrpc/fleet/registry/protocol"
)

// TestCommandsThroughZooKeeper runs ls, invoke and route against a real
// ZooKeeper holding a fleet provider's registration.
func TestCommandsThroughZooKeeper(t *testing.T) {
	zk := os.Getenv("FLEET_ZK")
	if zk == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("FLEET_ZK is not set: CI must start ZooKeeper (see .ci/run)")
		}
		t.Skip("FLEET_ZK is not set: start ZooKeeper and set FLEET_ZK=host:port")
	}
	group := strings.ToLower(strings.ReplaceAll(t.Name(), "/", "-")) // a root of its own: dubbo-<test>
	regURL := "zookeeper://" + zk + "?group=" + group + "&file.cache=false"
	rp := regprotocol.New()
	t.Cleanup(rp.Destroy)
	u := common.MustParse(fmt.Sprintf("dubbo://127.0.0.1:%d/%s?interface=%s&methods=sayHello,add,find&side=provider&version=2.0.0", testutil.FreePort(t), iface, iface))
	svc, err := service.New(u, greeter{})
	require.NoError(t, err)
	exp, err := rp.Export(context.Background(), common.MustParse(regURL), svc)
	require.NoError(t, err)
	t.Cleanup(exp.Unexport)

	code, stdout, stderr := fleet("ls", regURL)
	require.Equal(t, 0, code, stderr)
	require.Equal(t, iface+"\tproviders=1\tconsumers=0\n", stdout)

	code, stdout, stderr = fleet("ls", regURL, iface)
	require.Equal(t, 0, code, stderr)
	require.True(t, strings.HasPrefix(stdout, "providers\tdubbo://"+u.Address()+"/"+iface+"?"), stdout)
	require.Contains(t, stdout, "version=2.0.0")

	code, stdout, stderr = fleet("invoke", regURL, iface, "sayHello", `"zookeeper"`, "--version", "2.0.0")
	require.Equal(t, 0, code, stderr)
	require.Equal(t, "\"Hello zookeeper\"\n", stdout)

	code, _, stderr = fleet("invoke", regURL, iface, "sayHello", `"x"`, "--version", "9.9.9")
	require.Equal(t, 1, code)
	require.Contains(t, stderr, "No provider available", "a version no provider has fails the check, naming the service")
}
