package main

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/fleetrpc/fleet/admin"
	"github.com/fleetrpc/fleet/config"
	_ "github.com/fleetrpc/fleet/protocol/injvm"
)

type adminGreeter struct{}

func (adminGreeter) SayHello(_ context.Context, name string) (string, error) {
	return "Hello " + name, nil
}

func TestAdminCommand(t *testing.T) {
	ctx := context.Background()
	cfg, err := config.LoadBytes("admin.yml", []byte(`
dubbo:
  registries:
    mem: {protocol: memory, address: fleet-admin-command}
  protocols:
    injvm: {name: injvm, port: 30081}
  provider:
    services:
      Greeter: {interface: org.example.Greeter}
  consumer:
    references:
      Greeter: {interface: org.example.Greeter, check: false}
`))
	require.NoError(t, err)
	rt := config.NewRuntime(cfg, config.WithLocalIP("127.0.0.1"))
	defer rt.Close()
	require.NoError(t, rt.Export(ctx, "Greeter", adminGreeter{}))
	_, err = rt.Refer(ctx, "Greeter")
	require.NoError(t, err)
	srv, err := admin.Listen(rt, "127.0.0.1:0")
	require.NoError(t, err)
	defer srv.Close()
	addr := srv.Addr()

	code, out, errOut := fleet("admin", addr, "ls")
	require.Equal(t, 0, code, errOut)
	require.Regexp(t, `Greeter\s+org\.example\.Greeter\s+online \(registered 1, offline 0\)`, out)
	require.Regexp(t, `references \(1\)\n\s+Greeter\s+org\.example\.Greeter\s+available, 1 provider\(s\)\n\s+127\.0\.0\.1:30081\s+available`, out)

	code, out, errOut = fleet("admin", "http://"+addr, "offline", "Greeter")
	require.Equal(t, 0, code, errOut)
	require.Equal(t, "offline: 1 provider URL(s) changed\n", out)
	code, _, errOut = fleet("admin", addr, "ready")
	require.Equal(t, 1, code, "not ready while offline")
	require.Contains(t, errOut, "503")
	code, out, _ = fleet("admin", addr, "ls")
	require.Equal(t, 0, code)
	require.Contains(t, out, "offline (registered 0, offline 1)")

	code, out, errOut = fleet("admin", addr, "online")
	require.Equal(t, 0, code, errOut)
	require.Equal(t, "online: 1 provider URL(s) changed\n", out)
	code, out, _ = fleet("admin", addr, "ready")
	require.Equal(t, 0, code)
	require.Equal(t, "true\n", out)

	code, out, errOut = fleet("admin", addr, "snapshot", "Greeter", "--method", "sayHello")
	require.Equal(t, 0, code, errOut)
	var snap config.Snapshot
	require.NoError(t, json.Unmarshal([]byte(out), &snap))
	require.Equal(t, "sayHello", snap.Method)
	require.Len(t, snap.Views, 1)
	require.Equal(t, []string{"127.0.0.1:30081"}, snap.Views[0].Reached)

	code, _, errOut = fleet("admin", addr, "offline", "Nope")
	require.Equal(t, 1, code)
	require.Contains(t, errOut, `"Nope"`)
	code, _, errOut = fleet("admin", addr, "snapshot", "Nope")
	require.Equal(t, 1, code)
	require.Contains(t, errOut, "404")
	code, _, errOut = fleet("admin", addr, "frob")
	require.Equal(t, 2, code)
	require.Contains(t, errOut, `unknown operation "frob"`)
	code, _, _ = fleet("admin", addr)
	require.Equal(t, 2, code)
	code, _, errOut = fleet("admin", "127.0.0.1:1", "ls")
	require.Equal(t, 1, code, "nothing listens there")
	require.Contains(t, errOut, "admin /ls")
}
