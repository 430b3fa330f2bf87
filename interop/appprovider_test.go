package interop

import (
	"bufio"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/protocol/dubbo"
	"github.com/fleetrpc/fleet/protocol/service"
	"github.com/fleetrpc/fleet/registry/servicediscovery"
)

// appConsumerChild is a dubbo-go v3.3.0 consumer in application-level
// mode (registry-type: service) on a registry (zookeeper, or nacos in a
// namespace): it finds its provider through the mapping, the
// application's instances and the provider's MetadataService, then calls
// sayHello until a call succeeds (up to 30 s) and prints "reply: <answer>"
// (or "error: …"). Its arguments: registry address namespace interface
// application metadata-port. It runs in its own process because dubbo-go's
// configuration is global and this test binary's is fixed in TestMain. It
// exits when its stdin closes.
const appConsumerChild = `package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"strconv"
	"time"

	"dubbo.apache.org/dubbo-go/v3/config"
	_ "dubbo.apache.org/dubbo-go/v3/imports"
)

type GreeterClient struct {
	SayHello func(ctx context.Context, name string) (string, error)
}

func (*GreeterClient) Reference() string { return "GreeterClient" }

func main() {
	proto, addr, ns, iface, app := os.Args[1], os.Args[2], os.Args[3], os.Args[4], os.Args[5]
	msPort, _ := strconv.Atoi(os.Args[6])
	client := &GreeterClient{}
	config.SetConsumerService(client)
	rc := config.NewRootConfigBuilder().
		SetApplication(config.NewApplicationConfigBuilder().SetName(app).SetMetadataServicePort(msPort).Build()).
		SetLogger(config.NewLoggerConfigBuilder().SetLevel("error").Build()).
		AddRegistry("reg", registry(proto, addr, ns).SetRegistryType("service").Build()).
		SetConsumer(config.NewConsumerConfigBuilder().SetCheck(false).
			AddReference("GreeterClient", config.NewReferenceConfigBuilder().
				SetInterface(iface).SetProtocol("dubbo").SetSerialization("hessian2").
				SetRegistryIDs("reg").SetRetries("0").SetRequestTimeout("3s").Build()).
			Build()).
		Build()
	if err := config.Load(config.WithRootConfig(rc)); err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		reply, err := client.SayHello(context.Background(), "dubbo-go")
		if err == nil {
			fmt.Println("reply:", reply)
			break
		}
		if time.Now().After(deadline) {
			fmt.Println("error:", err)
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	s := bufio.NewScanner(os.Stdin)
	for s.Scan() {
	}
}
` + childRegistry

// appGreeter is the fleet provider's service.
type appGreeter struct{}

func (appGreeter) SayHello(name string) (string, error) { return "hello " + name + " from fleet", nil }

// exportAppProvider exports appGreeter as iface of app on port over
// dubbo://, with the URL config builds for it, and returns that URL and
// the protocol (which serves the MetadataService too once registered).
func exportAppProvider(t *testing.T, iface, app string, port int, log *slog.Logger) (*common.URL, *dubbo.Protocol) {
	t.Helper()
	proto := dubbo.New(dubbo.WithLogger(log))
	t.Cleanup(proto.Destroy)
	u := common.MustParse("dubbo://127.0.0.1:" + strconv.Itoa(port) + "/" + iface + "?interface=" + iface +
		"&methods=sayHello&side=provider&application=" + app + "&anyhost=true&dynamic=true&deprecated=false&generic=false" +
		"&dubbo=2.0.2&release=fleet&timeout=3000&timestamp=" + strconv.FormatInt(time.Now().UnixMilli(), 10))
	svc, err := service.New(u, appGreeter{})
	require.NoError(t, err)
	exp, err := proto.Export(svc)
	require.NoError(t, err)
	t.Cleanup(exp.Unexport)
	return u, proto
}

// runAppConsumerChild runs the consumer and returns its answer line; it is
// stopped at cleanup.
func runAppConsumerChild(t *testing.T, bin, iface, app string, msPort int) string {
	t.Helper()
	return runConsumerChild(t, bin, "zookeeper", zkServer, "", iface, app, strconv.Itoa(msPort))
}

// runConsumerChild runs a dubbo-go consumer program, in a temporary
// directory, and returns its answer line ("reply: …" or "error: …"); it is
// stopped at cleanup.
func runConsumerChild(t *testing.T, bin string, args ...string) string {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Dir = t.TempDir()
	stdin, err := cmd.StdinPipe()
	require.NoError(t, err)
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	exited := make(chan struct{})
	t.Cleanup(func() {
		_ = stdin.Close()
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
	})
	answer := make(chan string, 2)
	go func() {
		s := bufio.NewScanner(stdout)
		var last string
		for s.Scan() {
			last = s.Text()
			if strings.HasPrefix(last, "reply:") || strings.HasPrefix(last, "error:") {
				answer <- last
			}
		}
		answer <- "exited: " + last
		_, _ = io.Copy(io.Discard, stdout)
		_ = cmd.Wait()
		close(exited)
	}()
	select {
	case line := <-answer:
		return line
	case <-time.After(90 * time.Second):
		t.Fatal("the dubbo-go consumer did not answer within 90 s")
		return ""
	}
}

// A dubbo-go v3.3.0 consumer in application-level mode (registry-type:
// service) finds a fleet provider registered through servicediscovery's
// Register (the instance node, the mapping, the MetadataService on the
// provider's port) and calls it. The nodes both sides wrote are checked.
func TestDubboGoAppConsumerCallsFleetProvider(t *testing.T) {
	requireZK(t)
	var b [4]byte
	_, _ = rand.Read(b[:])
	id := hex.EncodeToString(b[:])
	iface, app, consumerApp := "org.fleet.interop.AppProvided"+id, "fleet-app-"+id, "dubbo-go-consumer-"+id
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	bin := buildGoChild(t, "appconsumerchild", appConsumerChild)
	obs := zkObserver(t)
	port := freePort()
	t.Cleanup(func() { // once the provider's session has closed (its node may not have gone yet)
		for _, p := range []string{"/dubbo/mapping/" + iface, "/services/" + app + "/127.0.0.1:" + strconv.Itoa(port),
			"/services/" + app, "/services/" + consumerApp} {
			_ = obs.Delete(p, -1)
		}
	})

	// The fleet provider, as config exports it, registered per application.
	u, proto := exportAppProvider(t, iface, app, port, quiet)
	reg, err := servicediscovery.New(common.MustParse("zookeeper://"+zkServer+"?timeout=10000"),
		servicediscovery.WithLogger(quiet), servicediscovery.WithMetadataProtocol(proto))
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, reg.Close()) })
	ctx := t.Context()
	require.NoError(t, reg.Register(ctx, u))

	// What fleet wrote: the mapping and the instance, and no
	// interface-level provider node.
	ok, _, err := obs.Exists("/dubbo/" + iface + "/providers")
	require.NoError(t, err)
	require.False(t, ok)
	mapping, _, err := obs.Get("/dubbo/mapping/" + iface)
	require.NoError(t, err)
	require.Equal(t, app, string(mapping))
	instancePath := "/services/" + app + "/127.0.0.1:" + strconv.Itoa(port)
	node, stat, err := obs.Get(instancePath)
	require.NoError(t, err)
	require.NotZero(t, stat.EphemeralOwner, "the instance node is ephemeral")
	var inst struct {
		Name    string `json:"name"`
		ID      string `json:"id"`
		Address string `json:"address"`
		Port    int    `json:"port"`
		Payload struct {
			Class    string            `json:"@class"`
			Metadata map[string]string `json:"metadata"`
		} `json:"payload"`
		ServiceType string `json:"serviceType"`
	}
	require.NoError(t, json.Unmarshal(node, &inst))
	require.Equal(t, app, inst.Name)
	require.Equal(t, "127.0.0.1:"+strconv.Itoa(port), inst.ID)
	require.Equal(t, "127.0.0.1", inst.Address)
	require.Equal(t, port, inst.Port)
	require.Equal(t, servicediscovery.ZookeeperInstanceClass, inst.Payload.Class)
	require.Equal(t, "DYNAMIC", inst.ServiceType)
	md := inst.Payload.Metadata
	require.Regexp(t, `^[0-9a-f]{32}$`, md[servicediscovery.RevisionKey])
	require.Equal(t, "local", md[servicediscovery.StorageTypeKey])
	require.Equal(t, `[{"port":`+strconv.Itoa(port)+`,"protocol":"dubbo"}]`, md[servicediscovery.EndpointsKey])
	var msParams map[string]string
	require.NoError(t, json.Unmarshal([]byte(md[servicediscovery.MetadataServiceParamsKey]), &msParams))
	require.Equal(t, "dubbo", msParams["protocol"])
	require.Equal(t, strconv.Itoa(port), msParams["port"])
	require.Equal(t, "1.0.0", msParams["version"])

	// dubbo-go's consumer finds the provider by the application alone and
	// calls it.
	msPort := freePort()
	line := runAppConsumerChild(t, bin, iface, consumerApp, msPort)
	require.Equal(t, "reply: hello dubbo-go from fleet", line)

	// What dubbo-go's consumer wrote: no interface-level consumer node (it
	// is in application-level mode), and the mapping untouched.
	ok, _, err = obs.Exists("/dubbo/" + iface + "/consumers")
	require.NoError(t, err)
	if ok {
		children, _, err := obs.Children("/dubbo/" + iface + "/consumers")
		require.NoError(t, err)
		require.Empty(t, children, "dubbo-go registered an interface-level consumer")
	}
	mapping, _, err = obs.Get("/dubbo/mapping/" + iface)
	require.NoError(t, err)
	require.Equal(t, app, string(mapping))
	// A consumer-only application: dubbo-go v3.3.0 registers no instance
	// for it.
	ok, _, err = obs.Exists("/services/" + consumerApp)
	require.NoError(t, err)
	require.False(t, ok, "dubbo-go's consumer registered an application instance")
}
