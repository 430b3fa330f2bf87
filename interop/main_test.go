package interop

import (
	"context"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"os"
	"strconv"
	"testing"

	"dubbo.apache.org/dubbo-go/v3/config"
	_ "dubbo.apache.org/dubbo-go/v3/imports"

	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/protocol"
	"github.com/fleetrpc/fleet/protocol/dubbo"
	"github.com/fleetrpc/fleet/protocol/service"
)

// UserClient is a dubbo-go consumer proxy of UserService: dubbo-go fills
// the function fields.
type UserClient struct {
	GetUser func(ctx context.Context, id int64) (*User, error)
	Hello   func(ctx context.Context, name string) (string, error)
	Add     func(ctx context.Context, a, b int32) (int32, error)
	// Count's reply is declared map[any]any: dubbo-go cannot decode a Hessian
	// map into a map[string]int32 reply (it times out instead).
	Count  func(ctx context.Context, words []string) (map[any]any, error)
	Save   func(ctx context.Context, u *User) (*User, error)
	Whoami func(ctx context.Context) (string, error)
	ref    string
}

// Reference implements dubbo-go's common.RPCService.
func (c *UserClient) Reference() string { return c.ref }

// The peers every test uses, set up once by TestMain.
var (
	// dubboGoAddr is the dubbo-go provider.
	dubboGoAddr string
	// fleetAddr is the fleet provider.
	fleetAddr string
	// fleetProto is the fleet protocol serving fleetAddr and referring.
	fleetProto *dubbo.Protocol
	// toFleet is a dubbo-go consumer of the fleet provider.
	toFleet = &UserClient{ref: "toFleet"}
	// toDubboGo is a dubbo-go consumer of the dubbo-go provider.
	toDubboGo = &UserClient{ref: "toDubboGo"}
)

func freePort() int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func TestMain(m *testing.M) {
	log.SetOutput(io.Discard)
	fleetProto = dubbo.New(dubbo.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))

	// The fleet provider.
	fu := common.MustParse("dubbo://127.0.0.1:0/" + UserServiceName)
	svc, err := service.New(fu, &UserService{Who: "fleet"})
	if err != nil {
		panic(err)
	}
	exp, err := fleetProto.Export(svc)
	if err != nil {
		panic(err)
	}
	fleetAddr = exp.(interface{ URL() *common.URL }).URL().Address()

	// The registry-based peers, fleet's side (see zookeeper_test.go).
	var zkReg *config.RegistryConfig
	if zkServer = os.Getenv("FLEET_ZK"); zkServer != "" {
		if zkReg, zkSetupErr = setUpFleetZK(); zkSetupErr != nil {
			fmt.Fprintln(os.Stderr, "the ZooKeeper interop tests will fail:", zkSetupErr)
		}
	}

	// The dubbo-go provider and consumers, direct, no registry; and, with a
	// ZooKeeper, the registry-based ones. dubbo-go is configured once per
	// process, so both sets are in the one configuration.
	port := freePort()
	dubboGoAddr = "127.0.0.1:" + strconv.Itoa(port)
	config.SetProviderService(&UserService{Who: "dubbo-go", Ref: "UserProvider"})
	ref := func(addr string) *config.ReferenceConfig {
		return config.NewReferenceConfigBuilder().
			SetInterface(UserServiceName).
			SetProtocol("dubbo").
			SetSerialization("hessian2").
			SetURL("dubbo://" + addr).
			SetRetries("0").
			SetRequestTimeout("5s").
			Build()
	}
	provider := config.NewProviderConfigBuilder().
		AddService("UserProvider", config.NewServiceConfigBuilder().
			SetInterface(UserServiceName).
			SetProtocolIDs("dubbo").
			SetSerialization("hessian2").
			SetNotRegister(true).
			Build())
	root := config.NewRootConfigBuilder().
		SetApplication(config.NewApplicationConfigBuilder().
			SetName("fleet-interop").
			SetMetadataServicePort(freePort()).
			Build()).
		SetLogger(config.NewLoggerConfigBuilder().SetLevel("error").Build()).
		AddProtocol("dubbo", config.NewProtocolConfigBuilder().
			SetName("dubbo").SetIp("127.0.0.1").SetPort(strconv.Itoa(port)).Build()).
		SetConsumer(config.NewConsumerConfigBuilder().SetCheck(false).Build())
	if zkReg != nil {
		addDubboGoZK(root, provider, zkReg)
	}
	rc := root.SetProvider(provider.Build()).Build()
	if err := config.Load(config.WithRootConfig(rc)); err != nil {
		fmt.Fprintln(os.Stderr, "dubbo-go config.Load:", err)
		os.Exit(1)
	}
	// The references are made once the dubbo-go provider listens: a direct
	// dubbo-go reference connects when it is made and fails without a peer.
	for _, c := range []struct {
		client *UserClient
		addr   string
	}{{toFleet, fleetAddr}, {toDubboGo, dubboGoAddr}} {
		r := ref(c.addr)
		if err := r.Init(config.GetRootConfig()); err != nil {
			fmt.Fprintln(os.Stderr, "dubbo-go reference:", err)
			os.Exit(1)
		}
		r.Refer(c.client)
		r.Implement(c.client)
	}
	if zkReg != nil {
		r := dubboGoZKReference()
		if err := r.Init(config.GetRootConfig()); err != nil {
			fmt.Fprintln(os.Stderr, "dubbo-go reference through ZooKeeper:", err)
			os.Exit(1)
		}
		r.Refer(toFleetZK)
		r.Implement(toFleetZK)
	}
	code := m.Run()
	tearDownZK()
	fleetProto.Destroy()
	os.Exit(code)
}

// fleetRef refers addr through fleet's protocol.
func fleetRef(t testing.TB, addr string) protocol.Invoker {
	t.Helper()
	inv, err := fleetProto.Refer(common.MustParse("dubbo://" + addr + "/" + UserServiceName + "?timeout=5000"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(inv.Destroy)
	return inv
}
