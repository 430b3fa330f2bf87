package interop

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/protocol"
	regprotocol "github.com/fleetrpc/fleet/registry/protocol"
	"github.com/fleetrpc/fleet/registry/servicediscovery"
)

// appDiscoveryChild is a dubbo-go v3.3.0 provider configured as a
// dubbo-go user configures one by default: a registry (zookeeper, or nacos
// in a namespace) with no registry-type, so it registers per application
// only (ZooKeeper: /services/<app>, /dubbo/mapping/<interface>; Nacos: an
// instance of the service <app>, the mapping config <interface> in group
// mapping; and a MetadataService). Its arguments: registry address
// namespace port metadata-port interface application. On Nacos it answers
// "… from dubbo-go on nacos". It runs in its own process because
// dubbo-go's configuration is global and this test binary's is fixed in
// TestMain. It serves until its stdin closes.
const appDiscoveryChild = `package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"strconv"

	"dubbo.apache.org/dubbo-go/v3/config"
	_ "dubbo.apache.org/dubbo-go/v3/imports"
)

var from = " from dubbo-go"

type Greeter struct{}

func (*Greeter) SayHello(_ context.Context, name string) (string, error) {
	return "hello " + name + from, nil
}

func (*Greeter) Reference() string { return "GreeterProvider" }

func main() {
	proto, addr, ns, port, iface, app := os.Args[1], os.Args[2], os.Args[3], os.Args[4], os.Args[6], os.Args[7]
	msPort, _ := strconv.Atoi(os.Args[5])
	if proto == "nacos" {
		from += " on nacos"
	}
	config.SetProviderService(&Greeter{})
	rc := config.NewRootConfigBuilder().
		SetApplication(config.NewApplicationConfigBuilder().SetName(app).SetMetadataServicePort(msPort).Build()).
		SetLogger(config.NewLoggerConfigBuilder().SetLevel("error").Build()).
		AddRegistry("reg", registry(proto, addr, ns).Build()).
		AddProtocol("dubbo", config.NewProtocolConfigBuilder().SetName("dubbo").SetIp("127.0.0.1").SetPort(port).Build()).
		SetProvider(config.NewProviderConfigBuilder().
			AddService("GreeterProvider", config.NewServiceConfigBuilder().
				SetInterface(iface).SetProtocolIDs("dubbo").SetSerialization("hessian2").SetRegistryIDs("reg").Build()).
			Build()).
		Build()
	if err := config.Load(config.WithRootConfig(rc)); err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	fmt.Println("ready")
	s := bufio.NewScanner(os.Stdin)
	for s.Scan() {
	}
}
` + childRegistry

// childRegistry is the registry of the dubbo-go child programs: zookeeper
// at addr, or nacos at addr in namespace ns with its cache and log in the
// working directory; 10 s timeout.
const childRegistry = `
func registry(proto, addr, ns string) *config.RegistryConfigBuilder {
	b := config.NewRegistryConfigBuilder().SetProtocol(proto).SetAddress(addr).SetTimeout("10s")
	if proto == "nacos" {
		dir, _ := os.Getwd()
		b = b.SetNamespace(ns).SetParams(map[string]string{"nacos.cacheDir": dir, "nacos.logDir": dir, "nacos.logLevel": "error"})
	}
	return b
}
`

// buildAppDiscoveryChild builds appDiscoveryChild and returns the binary.
func buildAppDiscoveryChild(t *testing.T) string {
	t.Helper()
	return buildGoChild(t, "appdiscoverychild", appDiscoveryChild)
}

// buildGoChild builds the main package src in a temporary module with
// this module's requirements (so the same dubbo-go v3.3.0, from the module
// cache) and returns the binary.
func buildGoChild(t *testing.T, name, src string) string {
	t.Helper()
	dir := t.TempDir()
	mod, err := os.ReadFile("go.mod")
	require.NoError(t, err)
	root, err := filepath.Abs("..")
	require.NoError(t, err)
	text := regexp.MustCompile(`(?m)^module .*$`).ReplaceAllString(string(mod), "module fleet.test/"+name)
	text = strings.Replace(text, "=> ../", "=> "+root, 1)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "go.mod"), []byte(text), 0o644))
	sum, err := os.ReadFile("go.sum")
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "go.sum"), sum, 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "main.go"), []byte(src), 0o644))
	bin := filepath.Join(dir, "child")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOWORK=off")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "building the dubbo-go program %s: %s", name, out)
	return bin
}

// startAppDiscoveryChild runs the provider and waits until it has
// registered; it is stopped at cleanup.
func startAppDiscoveryChild(t *testing.T, bin string, port, msPort int, iface, app string) {
	t.Helper()
	startChild(t, bin, "zookeeper", zkServer, "", strconv.Itoa(port), strconv.Itoa(msPort), iface, app)
}

// startChild runs a dubbo-go provider program, in a temporary directory,
// and waits until it prints ready; it is stopped (its stdin closed) at
// cleanup.
func startChild(t *testing.T, bin string, args ...string) {
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
	ready := make(chan string, 1)
	go func() {
		s := bufio.NewScanner(stdout)
		var last string
		for s.Scan() {
			last = s.Text()
			if last == "ready" || strings.HasPrefix(last, "error:") {
				ready <- last
			}
		}
		ready <- "exited: " + last
		_ = cmd.Wait()
		close(exited)
	}()
	select {
	case line := <-ready:
		require.Equal(t, "ready", line, "the dubbo-go provider did not start")
	case <-time.After(60 * time.Second):
		t.Fatal("the dubbo-go provider did not start within 60 s")
	}
}

// fleet finds a dubbo-go v3.3.0 provider registered with dubbo-go's
// default configuration (application-level only: no
// /dubbo/<interface>/providers node) through application-level discovery,
// and calls it through its registry protocol, RegistryDirectory and
// failover cluster.
func TestAppDiscoveryFindsDubboGoProvider(t *testing.T) {
	requireZK(t)
	var b [4]byte
	_, _ = rand.Read(b[:])
	id := hex.EncodeToString(b[:])
	iface, app := "org.fleet.interop.AppGreeter"+id, "dubbo-go-app-"+id
	port, msPort := freePort(), freePort()
	bin := buildAppDiscoveryChild(t)
	obs := zkObserver(t)
	t.Cleanup(func() { // once the provider has stopped
		for _, p := range []string{"/dubbo/mapping/" + iface, "/services/" + app + "/127.0.0.1:" + strconv.Itoa(port), "/services/" + app} {
			_ = obs.Delete(p, -1)
		}
	})
	startAppDiscoveryChild(t, bin, port, msPort, iface, app)

	// The nodes dubbo-go wrote: the mapping, the instance, and no
	// interface-level providers.
	mapping, _, err := obs.Get("/dubbo/mapping/" + iface)
	require.NoError(t, err)
	require.Contains(t, strings.Split(string(mapping), ","), app)
	node, _, err := obs.Get("/services/" + app + "/127.0.0.1:" + strconv.Itoa(port))
	require.NoError(t, err)
	var inst struct {
		Name    string `json:"name"`
		Address string `json:"address"`
		Port    int    `json:"port"`
		Payload struct {
			Metadata map[string]string `json:"metadata"`
		} `json:"payload"`
	}
	require.NoError(t, json.Unmarshal(node, &inst))
	require.Equal(t, app, inst.Name)
	require.Equal(t, port, inst.Port)
	require.NotEmpty(t, inst.Payload.Metadata[servicediscovery.RevisionKey])
	require.Equal(t, "local", inst.Payload.Metadata[servicediscovery.StorageTypeKey])
	require.Contains(t, inst.Payload.Metadata[servicediscovery.MetadataServiceParamsKey], `"port":"`+strconv.Itoa(msPort)+`"`)
	ok, _, err := obs.Exists("/dubbo/" + iface + "/providers")
	require.NoError(t, err)
	if ok {
		children, _, err := obs.Children("/dubbo/" + iface + "/providers")
		require.NoError(t, err)
		require.Empty(t, children, "dubbo-go registered interface-level too")
	}

	reg, err := servicediscovery.New(common.MustParse("zookeeper://"+zkServer+"?timeout=10000"), servicediscovery.WithLogger(discard))
	require.NoError(t, err)
	defer reg.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	lookupAndCall(ctx, t, reg, "registry://"+zkServer+"?registry="+servicediscovery.Scheme+"&timeout=10000",
		iface, "fleet-interop-app", port, "hello fleet from dubbo-go")
}

// lookupAndCall checks the provider URL fleet builds from dubbo-go's
// metadata (reg's Lookup of iface: one provider, dubbo-go's on port,
// listing sayHello), then calls sayHello through a reference on
// registryURL (the registry protocol, RegistryDirectory, failover) as
// consumerApp and requires want.
func lookupAndCall(ctx context.Context, t *testing.T, reg interface {
	Lookup(context.Context, *common.URL) ([]*common.URL, error)
}, registryURL, iface, consumerApp string, port int, want string) {
	t.Helper()
	urls, err := reg.Lookup(ctx, common.MustParse("consumer://127.0.0.1/"+iface+"?interface="+iface))
	require.NoError(t, err)
	require.Len(t, urls, 1)
	u := urls[0]
	require.Equal(t, "dubbo://127.0.0.1:"+strconv.Itoa(port)+"/"+iface, u.Protocol()+"://"+u.Address()+"/"+u.Path())
	require.Equal(t, iface, u.ServiceInterface())
	require.Contains(t, u.ParamList("methods"), "sayHello")

	rp := regprotocol.New(regprotocol.WithLogger(discard))
	defer rp.Destroy()
	refer := common.ToQueryString(map[string]string{"interface": iface, "application": consumerApp, "check": "true", "timeout": "5000"})
	ref, err := rp.Refer(ctx, common.MustParse(registryURL+"&refer="+common.Encode(refer)))
	require.NoError(t, err)
	defer ref.Destroy()
	res := ref.Invoke(ctx, protocol.NewInvocation("sayHello", "fleet"))
	require.NoError(t, res.Error())
	require.Equal(t, want, res.Value())
}
