package interop

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	dgcommon "dubbo.apache.org/dubbo-go/v3/common"
	dgextension "dubbo.apache.org/dubbo-go/v3/common/extension"
	dgconfig "dubbo.apache.org/dubbo-go/v3/config"
	"github.com/nacos-group/nacos-sdk-go/v2/model"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fleetrpc/fleet/common"
	fleetconfig "github.com/fleetrpc/fleet/config"
	inacos "github.com/fleetrpc/fleet/internal/nacos"
	"github.com/fleetrpc/fleet/internal/nacos/nacostest"
	"github.com/fleetrpc/fleet/protocol/service"
	_ "github.com/fleetrpc/fleet/registry/nacos"
	regprotocol "github.com/fleetrpc/fleet/registry/protocol"
)

// The Nacos interop tests run against the Nacos-protocol server FLEET_NACOS,
// each in a namespace of its own. dubbo-go is configured once per process
// (TestMain), so its Nacos peers are made here from its own parts: its
// Nacos registry (registry/nacos, through extension.GetRegistry) writes the
// registration of its direct provider, and a reference given a
// registry://…?registry=nacos URL is a consumer subscribed through its
// registry protocol and Nacos registry.

// dubboGoNacosURL is the registry URL dubbo-go's Nacos registry reads.
func dubboGoNacosURL(t *testing.T, addr, ns string) string {
	dir := t.TempDir() // the SDK's cache and log, out of the working tree
	return "registry://" + addr + "?registry=nacos&registry.namespace=" + ns + "&registry.timeout=5s" +
		"&nacos.cacheDir=" + dir + "&nacos.logDir=" + dir + "&nacos.logLevel=error&remote-client-name=" + ns
}

// nacosObserver is a plain naming client for what the server holds.
func nacosObserver(t *testing.T, addr, ns string) *inacos.NamingClient {
	t.Helper()
	cfg, err := inacos.ParseURL(common.MustParse("nacos://" + addr + "?namespace=" + ns))
	require.NoError(t, err)
	c, err := inacos.NewNamingClient(cfg, inacos.WithLogger(discard))
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	return c
}

// onlyInstance waits until service holds exactly one instance and returns
// it.
func onlyInstance(t *testing.T, c *inacos.NamingClient, service string) model.Instance {
	t.Helper()
	var hosts []model.Instance
	require.Eventually(t, func() bool {
		svc, err := c.Query(context.Background(), service, inacos.DefaultGroup)
		hosts = svc.Hosts
		return err == nil && len(hosts) == 1
	}, 15*time.Second, 50*time.Millisecond, "one instance of %s", service)
	return hosts[0]
}

// TestFleetCallsDubboGoThroughNacos: the registration dubbo-go's Nacos
// registry writes for its provider is found by fleet's RegistryDirectory,
// and the provider is called through the cluster.
func TestFleetCallsDubboGoThroughNacos(t *testing.T) {
	addr := nacostest.Addr(t)
	ns := nacostest.Unique(t)
	// dubbo-go's direct provider (TestMain) exports UserService without a
	// group: the registration says the same. The namespace is the test's.
	group := ""
	obs := nacosObserver(t, addr, ns)

	regURL, err := dgcommon.NewURL(dubboGoNacosURL(t, addr, ns))
	require.NoError(t, err)
	regURL.Protocol = "nacos"
	reg, err := dgextension.GetRegistry("nacos", regURL)
	require.NoError(t, err)
	t.Cleanup(reg.Destroy)
	pu, err := dgcommon.NewURL("dubbo://"+dubboGoAddr+"/"+UserServiceName+"?interface="+UserServiceName+
		"&group="+group+"&side=provider&application=dubbo-go-interop&registry.role="+strconv.Itoa(dgcommon.PROVIDER),
		dgcommon.WithMethods([]string{"Hello", "GetUser", "Save", "Whoami"}))
	require.NoError(t, err)
	// polaris sometimes answers the SDK's first register (false, nil)
	// while the SDK's redo races it: try again, a few times.
	require.Eventually(t, func() bool { return reg.Register(pu) == nil }, 15*time.Second, 200*time.Millisecond)
	t.Cleanup(func() { _ = reg.UnRegister(pu) })

	// dubbo-go's layout, as stored: Java's service name, its own metadata.
	name := "providers:" + UserServiceName + "::" + group
	inst := onlyInstance(t, obs, name)
	require.Equal(t, dubboGoAddr, inst.Ip+":"+strconv.FormatUint(inst.Port, 10))
	md := inst.Metadata
	require.Equal(t, "providers", md["nacos.category"])
	require.Equal(t, "dubbo", md["protocol"])
	require.Equal(t, "/"+UserServiceName, md["path"])
	require.Equal(t, UserServiceName, md["interface"])
	require.Equal(t, "provider", md["side"])
	t.Logf("dubbo-go's instance of %s: %v", name, md)

	params := map[string]string{
		common.InterfaceKey:   UserServiceName,
		common.GroupKey:       group,
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
	fleetReg := common.MustParse("nacos://"+addr+"?namespace="+ns+"&timeout=5000&file.cache=false&registry-type=interface").
		WithParam(common.ReferKey, common.Encode(common.ToQueryString(params)))
	rc := &recordingCluster{}
	rp := regprotocol.New(regprotocol.WithCluster(rc), regprotocol.WithLogger(discard))
	t.Cleanup(rp.Destroy)
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	inv, err := rp.Refer(ctx, fleetReg)
	require.NoError(t, err)

	dir := rc.directory(t)
	require.Eventually(t, func() bool { return len(dir.Invokers()) == 1 }, 10*time.Second, 10*time.Millisecond)
	got := dir.Invokers()[0].URL()
	require.Equal(t, dubboGoAddr, got.Address())
	require.Empty(t, got.Group())
	require.Equal(t, UserServiceName, got.ServiceInterface())
	require.Equal(t, UserServiceName, got.Path(), "dubbo-go's /path loses its slash")

	// fleet registered its consumer as Java does.
	cinst := onlyInstance(t, obs, "consumers:"+UserServiceName+"::"+group)
	require.Equal(t, "consumers", cinst.Metadata["category"])
	require.Equal(t, "consumer", cinst.Metadata["protocol"])
	require.Equal(t, "fleet-interop-consumer", cinst.Metadata["application"])

	res := fleetCall(inv, "Whoami", nil)
	require.NoError(t, res.Error())
	require.Equal(t, "dubbo-go", res.Value())
	res = fleetCall(inv, "Hello", []string{"java.lang.String"}, "nacos")
	require.NoError(t, res.Error())
	require.Equal(t, "Hello nacos", res.Value())
	res = fleetCall(inv, "GetUser", []string{"long"}, int64(7))
	require.NoError(t, res.Error())
	u, ok := res.Value().(*User)
	require.True(t, ok, "%T", res.Value())
	require.Equal(t, "user-7", u.Name)

	// dubbo-go's provider leaves: fleet's directory is emptied by the
	// empty:// push.
	require.NoError(t, reg.UnRegister(pu))
	require.Eventually(t, func() bool { return len(dir.Invokers()) == 0 }, 15*time.Second, 20*time.Millisecond)
}

// TestDubboGoCallsFleetThroughNacos: a fleet provider registered in Nacos
// is found by a dubbo-go consumer subscribed through its Nacos registry,
// and called.
func TestDubboGoCallsFleetThroughNacos(t *testing.T) {
	addr := nacostest.Addr(t)
	ns := nacostest.Unique(t)
	group := nacostest.Unique(t)
	obs := nacosObserver(t, addr, ns)

	port := freePort()
	fu := common.MustParse(fmt.Sprintf("dubbo://127.0.0.1:%d/%s?interface=%s&group=%s&side=provider&application=fleet-interop-provider&methods=hello,getUser,save,whoami",
		port, UserServiceName, UserServiceName, group))
	svc, err := service.New(fu, &UserService{Who: "fleet-nacos"})
	require.NoError(t, err)
	rp := regprotocol.New(regprotocol.WithLogger(discard))
	t.Cleanup(rp.Destroy)
	exp, err := rp.Export(context.Background(), common.MustParse("nacos://"+addr+"?namespace="+ns+"&timeout=5000&file.cache=false"), svc)
	require.NoError(t, err)
	t.Cleanup(exp.Unexport)

	// Java's layout, as stored.
	name := "providers:" + UserServiceName + "::" + group
	inst := onlyInstance(t, obs, name)
	require.Equal(t, "127.0.0.1", inst.Ip)
	require.Equal(t, uint64(port), inst.Port)
	md := inst.Metadata
	require.Equal(t, "providers", md["category"])
	require.Equal(t, "dubbo", md["protocol"])
	require.Equal(t, UserServiceName, md["path"])
	require.Equal(t, UserServiceName, md["interface"])
	require.Equal(t, group, md["group"])
	require.Equal(t, "provider", md["side"])
	t.Logf("fleet's instance of %s: %v", name, md)

	client := &UserClient{ref: "toFleetNacos"}
	ref := dgconfig.NewReferenceConfigBuilder().
		SetInterface(UserServiceName).
		SetGroup(group).
		SetProtocol("dubbo").
		SetSerialization("hessian2").
		SetURL(dubboGoNacosURL(t, addr, ns)).
		SetRetries("0").
		SetRequestTimeout("5s").
		Build()
	require.NoError(t, ref.Init(dgconfig.GetRootConfig()))
	ref.Refer(client)
	ref.Implement(client)

	ctx := context.Background()
	var who string
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		var err error
		who, err = client.Whoami(ctx)
		assert.NoError(c, err)
	}, 15*time.Second, 50*time.Millisecond, "dubbo-go's consumer found no provider")
	require.Equal(t, "fleet-nacos", who)
	s, err := client.Hello(ctx, "nacos")
	require.NoError(t, err)
	require.Equal(t, "Hello nacos", s)
	u, err := client.GetUser(ctx, 7)
	require.NoError(t, err)
	require.Equal(t, "user-7", u.Name)
	_, err = client.GetUser(ctx, -1)
	require.Error(t, err)
	require.Contains(t, err.Error(), "negative id")
}
