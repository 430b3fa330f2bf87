package config

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	_ "github.com/fleetrpc/fleet/protocol/injvm"
	_ "github.com/fleetrpc/fleet/registry/memory"
)

type greeter struct{ from string }

func (g greeter) SayHello(_ context.Context, name string) (string, error) {
	return "Hello " + name + " from " + g.from, nil
}

type GreeterClient struct {
	SayHello func(ctx context.Context, name string) (string, error)
}

func (*GreeterClient) Reference() string { return "Greeter" }

const runtimeYAML = `
dubbo:
  application: {name: runtime-test}
  registries:
    mem: {protocol: memory, address: runtime-test}
  protocols:
    injvm: {name: injvm, port: 30001}
  provider:
    services:
      Greeter: {interface: org.example.Greeter, version: 1.0.0}
  consumer:
    references:
      Greeter:
        interface: org.example.Greeter
        version: 1.0.0
        protocol: injvm
        retries: 1
      Missing:
        interface: org.example.Missing
      Direct:
        interface: org.example.Greeter
        version: 1.0.0
        url: injvm://127.0.0.1:30001/org.example.Greeter
`

func TestRuntimeExportAndReferThroughRegistry(t *testing.T) {
	cfg, err := LoadBytes("runtime.yml", []byte(runtimeYAML))
	require.NoError(t, err)
	ctx := context.Background()

	provider := NewRuntime(cfg, WithLocalIP("127.0.0.1"))
	require.NoError(t, provider.Export(ctx, "Greeter", greeter{from: "provider"}))

	consumer := NewRuntime(cfg, WithLocalIP("127.0.0.1"))
	var client GreeterClient
	ref, err := consumer.ReferProxy(ctx, &client)
	require.NoError(t, err)
	got, err := client.SayHello(ctx, "world")
	require.NoError(t, err)
	require.Equal(t, "Hello world from provider", got)
	u := ref.Invoker().URL()
	require.Equal(t, "org.example.Greeter", u.ServiceInterface())
	require.Equal(t, "sayHello", u.ParamOr("methods", ""), "the proxy's methods are sent as the methods param")

	direct, err := consumer.Refer(ctx, "Direct")
	require.NoError(t, err)
	v, err := direct.Call(ctx, "sayHello", "bob")
	require.NoError(t, err)
	require.Equal(t, "Hello bob from provider", v)

	_, err = consumer.Refer(ctx, "Missing")
	require.Error(t, err, "check=true fails without providers")
	require.ErrorContains(t, err, "org.example.Missing")
	_, err = consumer.Refer(ctx, "Nope")
	require.ErrorContains(t, err, `no reference "Nope"`)

	consumer.Close()
	consumer.Close()
	_, err = client.SayHello(ctx, "again")
	require.Error(t, err, "a closed runtime's references are destroyed")
	_, err = consumer.Refer(ctx, "Greeter")
	require.ErrorIs(t, err, ErrClosed)

	var again GreeterClient
	one, err := Refer(ctx, cfg, "Greeter", &again)
	require.NoError(t, err)
	got, err = again.SayHello(ctx, "once")
	require.NoError(t, err)
	require.Equal(t, "Hello once from provider", got)
	one.Destroy() // closes the runtime Refer made

	provider.Close()
	require.ErrorContains(t, provider.Export(ctx, "Nope", greeter{}), `no service "Nope"`)
}
