package interop

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	dgconfig "dubbo.apache.org/dubbo-go/v3/config"
	"github.com/go-zookeeper/zk"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fleetrpc/fleet/cluster"
	"github.com/fleetrpc/fleet/common"
	fleetconfig "github.com/fleetrpc/fleet/config"
	"github.com/fleetrpc/fleet/directory"
	"github.com/fleetrpc/fleet/protocol"
	"github.com/fleetrpc/fleet/protocol/dubbo"
	regprotocol "github.com/fleetrpc/fleet/registry/protocol"
	_ "github.com/fleetrpc/fleet/registry/zookeeper"
)

// The registry-based peers. dubbo-go reads its configuration once per
// process (config.Load), so they cannot be set up by the tests that use
// them: TestMain configures dubbo-go once with both the direct peers and,
// when FLEET_ZK names a ZooKeeper, a zookeeper registry
// (registry-type: interface), a provider registered in it and a consumer
// subscribed to it. The fleet provider registered in ZooKeeper is exported
// before that, so that dubbo-go's consumer finds it from its first
// notification on.
//
// Every run uses service groups of its own: nodes left behind by an
// earlier run (an ephemeral node outlives its process until the session
// times out) never match this run's consumers. The two providers have
// different groups, so each consumer sees exactly one of them.
var (
	// zkServer is FLEET_ZK (host:port), empty when the tests skip.
	zkServer string
	// zkSetupErr is why the registry-based peers are missing although
	// FLEET_ZK is set; the ZooKeeper tests fail with it.
	zkSetupErr error
	// groupDubboGo is the group of the dubbo-go provider in ZooKeeper,
	// groupFleet the group of the fleet provider.
	groupDubboGo, groupFleet string
	// dubboGoZKAddr is the dubbo-go provider registered in ZooKeeper.
	dubboGoZKAddr string
	// fleetZKAddr is the fleet provider registered in ZooKeeper.
	fleetZKAddr string
	// fleetZKRuntime exports fleetZKAddr; closed by TestMain.
	fleetZKRuntime *fleetconfig.Runtime
	// toFleetZK is a dubbo-go consumer of UserService in group groupFleet,
	// through ZooKeeper.
	toFleetZK = &UserClient{ref: "toFleetZK"}
)

// Names in the dubbo-go configuration of the registry-based peers.
const (
	dubboGoZKRegistry = "zk"             // registry id
	dubboGoZKProtocol = "dubbo-zk"       // protocol id: a port of its own
	dubboGoZKService  = "UserProviderZK" // provider service (RPCService) name
)

// fleetZKService names fleet's registry-based provider in its YAML.
const fleetZKService = "FleetUserProviderZK"

// quietZK silences the go-zookeeper client.
type quietZK struct{}

func (quietZK) Printf(string, ...any) {}

var discard = slog.New(slog.NewTextHandler(io.Discard, nil))

// setUpFleetZK prepares the registry-based peers on fleet's side, before
// dubbo-go is configured: it picks the groups and exports the fleet
// provider into ZooKeeper through fleet's config.Runtime (which also proves
// the ZooKeeper is reachable). It returns dubbo-go's registry
// configuration.
func setUpFleetZK() (*dgconfig.RegistryConfig, error) {
	var b [4]byte
	_, _ = rand.Read(b[:])
	run := "fleet-interop-" + hex.EncodeToString(b[:])
	groupDubboGo, groupFleet = run+"-dubbo-go", run+"-fleet"

	port := freePort()
	fleetZKAddr = "127.0.0.1:" + strconv.Itoa(port)
	yml := fmt.Sprintf(`dubbo:
  application:
    name: fleet-interop-provider
  registries:
    zk:
      protocol: zookeeper
      address: %s
      timeout: 5s
      registry-type: interface
      params:
        file.cache: "false"
  protocols:
    dubbo:
      name: dubbo
      ip: 127.0.0.1
      port: %d
  provider:
    services:
      %s:
        interface: %s
        group: %s
`, zkServer, port, fleetZKService, UserServiceName, groupFleet)
	cfg, err := fleetconfig.LoadBytes("fleet-zk.yml", []byte(yml), fleetconfig.WithLogger(discard))
	if err != nil {
		return nil, err
	}
	fleetZKRuntime = fleetconfig.NewRuntime(cfg, fleetconfig.WithRuntimeLogger(discard), fleetconfig.WithLocalIP("127.0.0.1"))
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := fleetZKRuntime.Export(ctx, fleetZKService, &UserService{Who: "fleet-zk"}); err != nil {
		return nil, fmt.Errorf("fleet provider through zookeeper://%s: %w", zkServer, err)
	}

	reg := dgconfig.NewRegistryConfigBuilder().
		SetProtocol("zookeeper").
		SetAddress(zkServer).
		SetTimeout("10s").
		SetRegistryType("interface").
		Build()
	// The registry is not a metadata report too: nothing but the
	// interface-level nodes is written.
	reg.UseAsMetaReport = "false"
	return reg, nil
}

// addDubboGoZK adds the registry-based peers to dubbo-go's configuration:
// the registry and a provider of UserService in group groupDubboGo
// registered in it, on a protocol (port) of its own.
func addDubboGoZK(root *dgconfig.RootConfigBuilder, provider *dgconfig.ProviderConfigBuilder, reg *dgconfig.RegistryConfig) {
	port := freePort()
	dubboGoZKAddr = "127.0.0.1:" + strconv.Itoa(port)
	dgconfig.SetProviderService(&UserService{Who: "dubbo-go-zk", Ref: dubboGoZKService})
	root.AddRegistry(dubboGoZKRegistry, reg).
		AddProtocol(dubboGoZKProtocol, dgconfig.NewProtocolConfigBuilder().
			SetName("dubbo").SetIp("127.0.0.1").SetPort(strconv.Itoa(port)).Build())
	provider.AddService(dubboGoZKService, dgconfig.NewServiceConfigBuilder().
		SetInterface(UserServiceName).
		SetGroup(groupDubboGo).
		SetProtocolIDs(dubboGoZKProtocol).
		SetRegistryIDs(dubboGoZKRegistry).
		SetSerialization("hessian2").
		Build())
}

// dubboGoZKReference is dubbo-go's consumer of group groupFleet through
// the registry.
func dubboGoZKReference() *dgconfig.ReferenceConfig {
	return dgconfig.NewReferenceConfigBuilder().
		SetInterface(UserServiceName).
		SetGroup(groupFleet).
		SetProtocol("dubbo").
		SetSerialization("hessian2").
		SetRegistryIDs(dubboGoZKRegistry).
		SetRetries("0").
		SetRequestTimeout("5s").
		Build()
}

// tearDownZK withdraws fleet's registry-based provider. dubbo-go's
// provider node stays until the process exits and its session expires:
// dubbo-go's ServiceConfig.Unexport closes the export without deleting the
// node (only its registry protocol's Destroy, part of its graceful
// shutdown, unregisters). The node's group is this run's, so no later run
// sees it.
func tearDownZK() {
	if fleetZKRuntime != nil {
		fleetZKRuntime.Close()
	}
}

// requireZK skips the test when no ZooKeeper is configured (it fails
// instead when CI is set) and fails it when the registry-based peers could
// not be set up.
func requireZK(t *testing.T) {
	t.Helper()
	if zkServer == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("FLEET_ZK is not set but CI is: .ci/run must start ZooKeeper and export FLEET_ZK=host:port")
		}
		t.Skip("FLEET_ZK is not set: start a ZooKeeper and set FLEET_ZK=host:port to run the ZooKeeper interop tests (.ci/run does)")
	}
	require.NoError(t, zkSetupErr, "setting up the registry-based peers in TestMain")
}

// zkObserver is a plain ZooKeeper client for looking at the tree.
func zkObserver(t *testing.T) *zk.Conn {
	t.Helper()
	c, events, err := zk.Connect([]string{zkServer}, 5*time.Second, zk.WithLogInfo(false), zk.WithLogger(quietZK{}))
	require.NoError(t, err)
	t.Cleanup(func() {
		c.Close()
		for range events { // until the client's goroutines are done
		}
	})
	deadline := time.After(10 * time.Second)
	for {
		select {
		case ev := <-events:
			if ev.State == zk.StateHasSession {
				return c
			}
		case <-deadline:
			t.Fatal("no ZooKeeper session at " + zkServer)
		}
	}
}

// zkNodes returns the URLs of the nodes of group under
// /dubbo/<UserServiceName>/<category>, by node path.
func zkNodes(t *testing.T, c *zk.Conn, category, group string) map[string]*common.URL {
	t.Helper()
	dir := "/dubbo/" + common.Encode(UserServiceName) + "/" + category
	children, _, err := c.Children(dir)
	if errors.Is(err, zk.ErrNoNode) {
		return nil
	}
	require.NoError(t, err, dir)
	out := map[string]*common.URL{}
	for _, name := range children {
		u, err := common.ParseEncoded(name)
		require.NoError(t, err, "node %s/%s", dir, name)
		if u.Group() == group {
			out[dir+"/"+name] = u
		}
	}
	return out
}

// onlyNode waits until exactly one node of group is under
// /dubbo/<UserServiceName>/<category> and returns its path and URL.
func onlyNode(t *testing.T, c *zk.Conn, category, group string) (string, *common.URL) {
	t.Helper()
	var nodes map[string]*common.URL
	require.Eventually(t, func() bool {
		nodes = zkNodes(t, c, category, group)
		return len(nodes) == 1
	}, 10*time.Second, 20*time.Millisecond, "one %s node of group %s", category, group)
	for p, u := range nodes {
		return p, u
	}
	panic("unreachable")
}

// recordingCluster joins with failover and keeps the directory it joined,
// so the test sees the providers fleet's RegistryDirectory holds.
type recordingCluster struct {
	mu   sync.Mutex
	dirs []directory.Directory
}

func (c *recordingCluster) Join(d directory.Directory) protocol.Invoker {
	c.mu.Lock()
	c.dirs = append(c.dirs, d)
	c.mu.Unlock()
	failover, err := cluster.Get("failover")
	if err != nil {
		panic(err)
	}
	return failover.Join(d)
}

func (c *recordingCluster) directory(t *testing.T) *directory.RegistryDirectory {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	require.Len(t, c.dirs, 1)
	d, ok := c.dirs[0].(*directory.RegistryDirectory)
	require.True(t, ok, "%T", c.dirs[0])
	return d
}

// TestFleetCallsDubboGoThroughZooKeeper: a dubbo-go provider registered in
// ZooKeeper (interface-level) is found by fleet's RegistryDirectory and
// called.
func TestFleetCallsDubboGoThroughZooKeeper(t *testing.T) {
	requireZK(t)
	obs := zkObserver(t)

	// dubbo-go registered its provider where Java Dubbo does.
	path, registered := onlyNode(t, obs, common.ProvidersCategory, groupDubboGo)
	require.True(t, strings.HasPrefix(path, "/dubbo/"+UserServiceName+"/providers/dubbo%3A%2F%2F127.0.0.1%3A"), path)
	require.Equal(t, "dubbo", registered.Protocol())
	require.Equal(t, dubboGoZKAddr, registered.Address())
	require.Equal(t, UserServiceName, registered.ServiceInterface())
	require.Equal(t, "provider", registered.ParamOr(common.SideKey, ""))
	t.Logf("dubbo-go's provider node: %s", path)

	// fleet refers through its registry protocol:
	// zookeeper://FLEET_ZK?refer=<the consumer's params, encoded>.
	params := map[string]string{
		common.InterfaceKey:   UserServiceName,
		common.GroupKey:       groupDubboGo,
		common.SideKey:        "consumer",
		common.ApplicationKey: "fleet-interop-consumer",
		common.TimeoutKey:     "5000",
		common.CheckKey:       "false",
		common.RegisterIPKey:  "127.0.0.1",
		"dubbo":               fleetconfig.DubboProtocolVersion,
		"methods":             "hello,getUser,save,whoami",
		"pid":                 strconv.Itoa(os.Getpid()),
		common.TimestampKey:   strconv.FormatInt(time.Now().UnixMilli(), 10),
	}
	// registry-type=interface: this test is about the interface level; the
	// package imports registry/servicediscovery, which would add the
	// application level (migration, APPLICATION_FIRST) and its directory.
	regURL := common.MustParse("zookeeper://"+zkServer+"?timeout=5000&file.cache=false&registry-type=interface").
		WithParam(common.ReferKey, common.Encode(common.ToQueryString(params)))
	rc := &recordingCluster{}
	rp := regprotocol.New(regprotocol.WithCluster(rc), regprotocol.WithLogger(discard))
	t.Cleanup(rp.Destroy)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	inv, err := rp.Refer(ctx, regURL)
	require.NoError(t, err)

	// The directory holds exactly the provider of that node.
	dir := rc.directory(t)
	require.Eventually(t, func() bool { return len(dir.Invokers()) == 1 }, 10*time.Second, 10*time.Millisecond)
	got := dir.Invokers()[0].URL()
	require.Equal(t, registered.Address(), got.Address())
	require.Equal(t, groupDubboGo, got.Group())
	require.Equal(t, UserServiceName, got.ServiceInterface())

	// fleet registered its consumer next to it.
	cpath, cu := onlyNode(t, obs, common.ConsumersCategory, groupDubboGo)
	require.True(t, strings.HasPrefix(cpath, "/dubbo/"+UserServiceName+"/consumers/consumer%3A%2F%2F127.0.0.1%2F"), cpath)
	require.Equal(t, "fleet-interop-consumer", cu.ParamOr(common.ApplicationKey, ""))

	// Calls: a string, the provider's name, POJOs, an exception.
	res := fleetCall(inv, "Hello", []string{"java.lang.String"}, "zookeeper")
	require.NoError(t, res.Error())
	require.Equal(t, "Hello zookeeper", res.Value())

	res = fleetCall(inv, "Whoami", nil)
	require.NoError(t, res.Error())
	require.Equal(t, "dubbo-go-zk", res.Value(), "served by the provider of group %s", groupDubboGo)

	res = fleetCall(inv, "GetUser", []string{"long"}, int64(7))
	require.NoError(t, res.Error())
	u, ok := res.Value().(*User)
	require.True(t, ok, "%T", res.Value())
	require.Equal(t, "user-7", u.Name)
	require.Equal(t, "1234.50", u.Balance.String())
	require.True(t, u.Created.Equal(time.UnixMilli(1700000000000)))

	saved := NewUser(41)
	saved.Status = Suspended
	res = fleetCall(inv, "Save", []string{"org.apache.dubbo.sample.User"}, saved)
	require.NoError(t, res.Error())
	u, ok = res.Value().(*User)
	require.True(t, ok, "%T", res.Value())
	require.Equal(t, int64(42), u.ID)
	require.Equal(t, Suspended, u.Status)

	res = fleetCall(inv, "GetUser", []string{"long"}, int64(-1))
	require.Error(t, res.Error())
	require.True(t, protocol.IsBusiness(res.Error()), "%v", res.Error())
	var je *dubbo.JavaException
	require.ErrorAs(t, res.Error(), &je)
	require.Contains(t, je.Message, "negative id")

	// Destroying the reference withdraws fleet's consumer node.
	inv.Destroy()
	require.Eventually(t, func() bool { return len(zkNodes(t, obs, common.ConsumersCategory, groupDubboGo)) == 0 },
		10*time.Second, 20*time.Millisecond)
}

// TestDubboGoCallsFleetThroughZooKeeper: a fleet provider registered in
// ZooKeeper is found by a dubbo-go consumer subscribed to the same
// ZooKeeper, and called.
func TestDubboGoCallsFleetThroughZooKeeper(t *testing.T) {
	requireZK(t)
	obs := zkObserver(t)

	// fleet registered its provider where Java Dubbo does…
	path, registered := onlyNode(t, obs, common.ProvidersCategory, groupFleet)
	require.True(t, strings.HasPrefix(path, "/dubbo/"+UserServiceName+"/providers/dubbo%3A%2F%2F127.0.0.1%3A"), path)
	require.Equal(t, fleetZKAddr, registered.Address())
	require.Equal(t, UserServiceName, registered.ServiceInterface())
	require.Equal(t, "provider", registered.ParamOr(common.SideKey, ""))
	t.Logf("fleet's provider node: %s", path)

	// …and dubbo-go's consumer subscribed to that service: it registered
	// its consumer node beside it.
	cpath, _ := onlyNode(t, obs, common.ConsumersCategory, groupFleet)
	t.Logf("dubbo-go's consumer node: %s", cpath)

	// dubbo-go's directory fills from the registry in the background: the
	// first call is retried until it reaches a provider.
	ctx := context.Background()
	var who string
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		var err error
		who, err = toFleetZK.Whoami(ctx)
		assert.NoError(c, err)
	}, 10*time.Second, 20*time.Millisecond, "dubbo-go's consumer found no provider")
	require.Equal(t, "fleet-zk", who, "served by the provider of group %s", groupFleet)

	s, err := toFleetZK.Hello(ctx, "zookeeper")
	require.NoError(t, err)
	require.Equal(t, "Hello zookeeper", s)

	u, err := toFleetZK.GetUser(ctx, 7)
	require.NoError(t, err)
	require.Equal(t, "user-7", u.Name)
	require.Equal(t, "1234.50", u.Balance.String())
	require.Equal(t, map[string]string{"k": "v"}, u.Attrs)

	saved := NewUser(41)
	saved.Status = Suspended
	u, err = toFleetZK.Save(ctx, saved)
	require.NoError(t, err)
	require.Equal(t, int64(42), u.ID)
	require.Equal(t, Suspended, u.Status)

	_, err = toFleetZK.GetUser(ctx, -1)
	require.Error(t, err)
	require.Contains(t, err.Error(), "negative id")
}
