package nacos

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/fleetrpc/fleet/common"
	inacos "github.com/fleetrpc/fleet/internal/nacos"
	"github.com/fleetrpc/fleet/internal/nacos/nacostest"
	"github.com/fleetrpc/fleet/internal/testutil"
	"github.com/fleetrpc/fleet/samples/nacos/api"
)

// waitRegistered waits until service of namespace ns has one instance.
func waitRegistered(t *testing.T, addr, ns, service string) {
	t.Helper()
	cfg, err := inacos.ParseURL(common.MustParse("nacos://" + addr + "?namespace=" + ns))
	require.NoError(t, err)
	c, err := inacos.NewNamingClient(cfg)
	require.NoError(t, err)
	defer c.Close()
	require.Eventually(t, func() bool {
		svc, err := c.Query(context.Background(), service, inacos.DefaultGroup)
		return err == nil && len(svc.Hosts) == 1
	}, 20*time.Second, 100*time.Millisecond, "%s never registered", service)
}

// TestProviderAndConsumerProcesses builds both programs, starts the
// provider, runs the consumer against it through the Nacos server
// (FLEET_NACOS, in a namespace of the test's own), and stops the provider
// gracefully.
func TestProviderAndConsumerProcesses(t *testing.T) {
	addr := nacostest.Addr(t)
	_, here, _, _ := runtime.Caller(0)
	dir := filepath.Dir(here)
	bin := t.TempDir()
	for _, prog := range []string{"provider", "consumer"} {
		out, err := exec.Command("go", "build", "-o", filepath.Join(bin, prog), "./"+prog).CombinedOutput()
		require.NoError(t, err, "go build %s: %s", prog, out)
	}
	ns := nacostest.Unique(t)
	env := append(os.Environ(), "FLEET_NACOS="+addr, "NACOS_NAMESPACE="+ns,
		fmt.Sprintf("GREETER_PORT=%d", testutil.FreePort(t)), "HOME="+t.TempDir(), "XDG_CACHE_HOME="+t.TempDir())

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	provider := exec.CommandContext(ctx, filepath.Join(bin, "provider"), "-config", filepath.Join(dir, "provider", "provider.yml"))
	provider.Env = env
	provider.Stderr = os.Stderr
	stdout, err := provider.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, provider.Start())
	lines := bufio.NewScanner(stdout)
	require.True(t, lines.Scan(), "the provider printed nothing")
	require.Equal(t, "provider ready", lines.Text())

	// polaris shows a new service to readers about a second after its
	// first registration: wait for it, as a consumer started later would.
	waitRegistered(t, addr, ns, "providers:"+api.Interface+":1.0.0:")

	consumer := exec.CommandContext(ctx, filepath.Join(bin, "consumer"), "-config", filepath.Join(dir, "consumer", "consumer.yml"))
	consumer.Env = env
	out, err := consumer.CombinedOutput()
	require.NoError(t, err, "consumer: %s", out)
	text := string(out)
	require.Contains(t, text, "Hello nacos, from a fleet provider in Nacos")
	require.Contains(t, text, "user 7: Grace, born 1906-12-09")
	require.Contains(t, text, "error as expected:")
	require.Contains(t, text, "no user with id -1")

	require.NoError(t, provider.Process.Signal(syscall.SIGTERM))
	require.True(t, lines.Scan())
	require.Equal(t, "provider stopped", strings.TrimSpace(lines.Text()))
	require.NoError(t, provider.Wait())
}
