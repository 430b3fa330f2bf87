package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"time"

	dgconfig "dubbo.apache.org/dubbo-go/v3/config"
	_ "dubbo.apache.org/dubbo-go/v3/imports"

	fleetconfig "github.com/fleetrpc/fleet/config"
	"github.com/fleetrpc/fleet/interop"
	"github.com/fleetrpc/fleet/protocol"
	_ "github.com/fleetrpc/fleet/protocol/dubbo"
	_ "github.com/fleetrpc/fleet/registry/zookeeper"
)

// The implementations a provider or consumer process runs.
const (
	implFleet   = "fleet"
	implDubboGo = "dubbogo"
	implEcho    = "echo"
)

var discard = slog.New(slog.NewTextHandler(io.Discard, nil))

// roleArgs is what a provider or consumer process is told.
type roleArgs struct {
	impl  string
	zk    string // host:port
	group string // the run's service group: only this run's peers match
	addr  string // the echo provider's address (the echo pair has no registry)
	// dispatcher is the fleet provider's dispatcher param ("": default).
	dispatcher string
}

// freePort returns a port nobody listened on a moment ago.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// startProvider exports interop.UserService with impl, registered in
// ZooKeeper interface-level in group a.group (the echo provider only
// listens). It returns the address it serves and a func that withdraws it.
func startProvider(a roleArgs) (string, func(), error) {
	switch a.impl {
	case implEcho:
		ln, err := listenEcho()
		if err != nil {
			return "", nil, err
		}
		return ln.Addr().String(), func() { ln.Close() }, nil
	case implFleet:
		return fleetProvider(a)
	case implDubboGo:
		return dubboGoProvider(a)
	}
	return "", nil, fmt.Errorf("unknown provider %q (want %s, %s or %s)", a.impl, implFleet, implDubboGo, implEcho)
}

// startConsumer returns a func making one call to a.group's provider:
// Hello(payload).
func startConsumer(ctx context.Context, a roleArgs, payload string) (func(context.Context) error, func(), error) {
	switch a.impl {
	case implEcho:
		e := &echoCaller{addr: a.addr, payload: []byte(payload)}
		return e.call, e.close, nil
	case implFleet:
		return fleetConsumer(ctx, a, payload)
	case implDubboGo:
		return dubboGoConsumer(ctx, a, payload)
	}
	return nil, nil, fmt.Errorf("unknown consumer %q (want %s, %s or %s)", a.impl, implFleet, implDubboGo, implEcho)
}

func fleetProvider(a roleArgs) (string, func(), error) {
	port, err := freePort()
	if err != nil {
		return "", nil, err
	}
	yml := fmt.Sprintf(`dubbo:
  application:
    name: fleetbench-provider
  registries:
    zk:
      protocol: zookeeper
      address: %s
      timeout: 10s
  protocols:
    dubbo:
      name: dubbo
      ip: 127.0.0.1
      port: %d%s
  provider:
    services:
      Bench:
        interface: %s
        group: %s
`, a.zk, port, dispatcherParams(a.dispatcher), interop.UserServiceName, a.group)
	cfg, err := fleetconfig.LoadBytes("fleetbench-provider.yml", []byte(yml), fleetconfig.WithLogger(discard))
	if err != nil {
		return "", nil, err
	}
	rt := fleetconfig.NewRuntime(cfg, fleetconfig.WithRuntimeLogger(discard), fleetconfig.WithLocalIP("127.0.0.1"))
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := rt.Export(ctx, "Bench", &interop.UserService{Who: "fleet"}); err != nil {
		rt.Close()
		return "", nil, fmt.Errorf("fleet provider through zookeeper://%s: %w", a.zk, err)
	}
	return "127.0.0.1:" + strconv.Itoa(port), rt.Close, nil
}

// dispatcherParams is the YAML of the fleet provider's protocol params
// setting the dispatcher d, nothing for "".
func dispatcherParams(d string) string {
	if d == "" {
		return ""
	}
	return "\n      params:\n        dispatcher: " + strconv.Quote(d)
}

func fleetConsumer(ctx context.Context, a roleArgs, payload string) (func(context.Context) error, func(), error) {
	yml := fmt.Sprintf(`dubbo:
  application:
    name: fleetbench-consumer
  registries:
    zk:
      protocol: zookeeper
      address: %s
      timeout: 10s
  consumer:
    check: false
    references:
      Bench:
        interface: %s
        group: %s
        retries: 0
        timeout: 5s
`, a.zk, interop.UserServiceName, a.group)
	cfg, err := fleetconfig.LoadBytes("fleetbench-consumer.yml", []byte(yml), fleetconfig.WithLogger(discard))
	if err != nil {
		return nil, nil, err
	}
	rt := fleetconfig.NewRuntime(cfg, fleetconfig.WithRuntimeLogger(discard), fleetconfig.WithLocalIP("127.0.0.1"))
	ref, err := rt.Refer(ctx, "Bench")
	if err != nil {
		rt.Close()
		return nil, nil, fmt.Errorf("fleet consumer through zookeeper://%s: %w", a.zk, err)
	}
	inv := protocol.NewInvocation("Hello", payload).WithParameterTypes("java.lang.String")
	want := "Hello " + payload
	check := func(ctx context.Context) error {
		res := ref.Invoke(ctx, inv)
		if err := res.Error(); err != nil {
			return err
		}
		if s, _ := res.Value().(string); s != want {
			return fmt.Errorf("fleet consumer: Hello returned %d bytes, want %d", len(s), len(want))
		}
		return nil
	}
	if err := firstCall(ctx, check); err != nil {
		rt.Close()
		return nil, nil, err
	}
	call := func(ctx context.Context) error { return ref.Invoke(ctx, inv).Error() }
	return call, rt.Close, nil
}

// dubbo-go configuration names.
const (
	dgRegistry = "zk"
	dgProvider = "BenchProvider" // RPCService name of the provider
	dgConsumer = "BenchConsumer" // RPCService name of the consumer
)

// dubboGoRoot is the part of dubbo-go's configuration both ends share:
// the application, a quiet logger, and the ZooKeeper registry,
// interface-level (the nodes Java Dubbo and fleet read), no metadata
// report.
func dubboGoRoot(a roleArgs, name string) (*dgconfig.RootConfigBuilder, error) {
	log.SetOutput(io.Discard)
	mdPort, err := freePort()
	if err != nil {
		return nil, err
	}
	reg := dgconfig.NewRegistryConfigBuilder().
		SetProtocol("zookeeper").
		SetAddress(a.zk).
		SetTimeout("10s").
		SetRegistryType("interface").
		Build()
	reg.UseAsMetaReport = "false"
	return dgconfig.NewRootConfigBuilder().
		SetApplication(dgconfig.NewApplicationConfigBuilder().
			SetName(name).
			SetMetadataServicePort(mdPort).
			Build()).
		SetLogger(dgconfig.NewLoggerConfigBuilder().SetLevel("error").Build()).
		AddRegistry(dgRegistry, reg), nil
}

func dubboGoProvider(a roleArgs) (string, func(), error) {
	root, err := dubboGoRoot(a, "fleetbench-provider")
	if err != nil {
		return "", nil, err
	}
	port, err := freePort()
	if err != nil {
		return "", nil, err
	}
	dgconfig.SetProviderService(&interop.UserService{Who: "dubbo-go", Ref: dgProvider})
	provider := dgconfig.NewProviderConfigBuilder().
		AddService(dgProvider, dgconfig.NewServiceConfigBuilder().
			SetInterface(interop.UserServiceName).
			SetGroup(a.group).
			SetProtocolIDs("dubbo").
			SetRegistryIDs(dgRegistry).
			SetSerialization("hessian2").
			Build())
	rc := root.
		AddProtocol("dubbo", dgconfig.NewProtocolConfigBuilder().
			SetName("dubbo").SetIp("127.0.0.1").SetPort(strconv.Itoa(port)).Build()).
		SetProvider(provider.Build()).
		Build()
	if err := dgconfig.Load(dgconfig.WithRootConfig(rc)); err != nil {
		return "", nil, fmt.Errorf("dubbo-go provider: %w", err)
	}
	// dubbo-go's node stays until the process's session expires; the
	// group is this run's alone.
	return "127.0.0.1:" + strconv.Itoa(port), func() {}, nil
}

// helloClient is a dubbo-go consumer proxy: dubbo-go fills Hello.
type helloClient struct {
	Hello func(ctx context.Context, name string) (string, error)
}

// Reference implements dubbo-go's common.RPCService.
func (*helloClient) Reference() string { return dgConsumer }

func dubboGoConsumer(ctx context.Context, a roleArgs, payload string) (func(context.Context) error, func(), error) {
	root, err := dubboGoRoot(a, "fleetbench-consumer")
	if err != nil {
		return nil, nil, err
	}
	rc := root.SetConsumer(dgconfig.NewConsumerConfigBuilder().SetCheck(false).Build()).Build()
	if err := dgconfig.Load(dgconfig.WithRootConfig(rc)); err != nil {
		return nil, nil, fmt.Errorf("dubbo-go consumer: %w", err)
	}
	ref := dgconfig.NewReferenceConfigBuilder().
		SetInterface(interop.UserServiceName).
		SetGroup(a.group).
		SetProtocol("dubbo").
		SetSerialization("hessian2").
		SetRegistryIDs(dgRegistry).
		SetRetries("0").
		SetRequestTimeout("5s").
		Build()
	if err := ref.Init(dgconfig.GetRootConfig()); err != nil {
		return nil, nil, fmt.Errorf("dubbo-go reference through zookeeper://%s: %w", a.zk, err)
	}
	client := &helloClient{}
	ref.Refer(client)
	ref.Implement(client)
	if client.Hello == nil {
		return nil, nil, errors.New("dubbo-go consumer: the proxy's Hello was not filled")
	}
	want := "Hello " + payload
	check := func(ctx context.Context) error {
		s, err := client.Hello(ctx, payload)
		if err == nil && s != want {
			err = fmt.Errorf("dubbo-go consumer: Hello returned %d bytes, want %d", len(s), len(want))
		}
		return err
	}
	// dubbo-go fills its directory in the background: the first call is
	// retried until a provider answers.
	if err := firstCall(ctx, check); err != nil {
		return nil, nil, err
	}
	call := func(ctx context.Context) error {
		_, err := client.Hello(ctx, payload)
		return err
	}
	return call, func() {}, nil
}

// firstCall calls until one call succeeds (the provider is found and
// answers as expected) or ctx ends.
func firstCall(ctx context.Context, call func(context.Context) error) error {
	for {
		err := call(ctx)
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("no successful call before %w: %v", ctx.Err(), err)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// payloadOf is the Hello argument of n bytes.
func payloadOf(n int) string { return strings.Repeat("x", max(n, 0)) }
