package main

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/internal/nacos/nacostest"
	"github.com/fleetrpc/fleet/internal/testutil"
	"github.com/fleetrpc/fleet/protocol/service"
	regprotocol "github.com/fleetrpc/fleet/registry/protocol"
)

// TestCommandsThroughNacos runs ls and invoke against the Nacos-protocol
// server (FLEET_NACOS) holding a fleet provider's registration.
func TestCommandsThroughNacos(t *testing.T) {
	addr := nacostest.Addr(t)
	regURL := "nacos://" + addr + "?namespace=" + nacostest.Unique(t) + "&file.cache=false&timeout=5000"
	rp := regprotocol.New()
	t.Cleanup(rp.Destroy)
	u := common.MustParse(fmt.Sprintf("dubbo://127.0.0.1:%d/%s?interface=%s&methods=sayHello,add,find&side=provider&version=2.0.0", testutil.FreePort(t), iface, iface))
	svc, err := service.New(u, greeter{})
	require.NoError(t, err)
	exp, err := rp.Export(context.Background(), common.MustParse(regURL), svc)
	require.NoError(t, err)
	t.Cleanup(exp.Unexport)

	// The server shows a registration to readers within about a second.
	var code int
	var stdout, stderr string
	require.Eventually(t, func() bool {
		code, stdout, stderr = fleet("ls", regURL)
		return code == 0 && stdout != ""
	}, 10*time.Second, 200*time.Millisecond, "ls: %d %q %q", code, stdout, stderr)
	require.Equal(t, iface+"\tproviders=1\tconsumers=0\n", stdout)

	code, stdout, stderr = fleet("ls", regURL, iface)
	require.Equal(t, 0, code, stderr)
	require.True(t, strings.HasPrefix(stdout, "providers\tdubbo://"+u.Address()+"/"+iface+"?"), stdout)
	require.Contains(t, stdout, "version=2.0.0")

	code, stdout, stderr = fleet("invoke", regURL, iface, "sayHello", `"nacos"`, "--version", "2.0.0")
	require.Equal(t, 0, code, stderr)
	require.Equal(t, "\"Hello nacos\"\n", stdout)

	code, _, stderr = fleet("invoke", regURL, iface, "sayHello", `"x"`, "--version", "9.9.9")
	require.Equal(t, 1, code)
	require.Contains(t, stderr, "No provider available", "a version no provider has fails the check, naming the service")
}
