package main

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/config"
	"github.com/fleetrpc/fleet/registry/memory"
)

// TestRouteConsumerHost: fleet route evaluates rules for the host a
// consumer on this machine has (config's local-address rule, not a fixed
// 127.0.0.1), and --consumer host=… overrides it.
func TestRouteConsumerHost(t *testing.T) {
	require.Equal(t, config.LocalIP(), localIP(), "the same rule as config")
	saved := localIP
	localIP = func() string { return "10.1.2.3" } // a machine whose address the test knows
	t.Cleanup(func() { localIP = saved })

	regURL := "memory://cli-" + strings.ReplaceAll(t.Name(), "/", "-")
	session := memory.Open(common.MustParse(regURL))
	t.Cleanup(func() { session.Close() })
	ctx := context.Background()
	for _, h := range []string{"10.0.0.1", "10.0.0.2"} {
		require.NoError(t, session.Register(ctx, common.MustParse("dubbo://"+h+":20880/"+iface+"?interface="+iface+"&side=provider")))
	}
	rule := common.Encode("host = 10.1.2.3 => host = 10.0.0.1")
	require.NoError(t, session.Register(ctx, common.MustParse("route://0.0.0.0/"+iface+"?category=routers&router=condition&rule="+rule)))

	code, stdout, stderr := fleet("route", regURL, iface)
	require.Equal(t, 0, code, stderr)
	require.Contains(t, stdout, "removed 10.0.0.2:20880", "the rule covers this machine's address")

	code, stdout, stderr = fleet("route", regURL, iface, "--consumer", "host=127.0.0.1")
	require.Equal(t, 0, code, stderr)
	require.NotContains(t, stdout, "removed")
}
