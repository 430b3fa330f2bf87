package zookeeper

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

	"github.com/fleetrpc/fleet/internal/testutil"
	"github.com/stretchr/testify/require"
)

// zkAddress is the ZooKeeper the sample runs against; the test skips only
// outside CI when none is given.
func zkAddress(t *testing.T) string {
	t.Helper()
	addr := os.Getenv("FLEET_ZK")
	if addr == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("FLEET_ZK is not set: CI must start ZooKeeper (see .ci/run)")
		}
		t.Skip("FLEET_ZK is not set: start ZooKeeper and set FLEET_ZK=host:port to run the sample")
	}
	return addr
}

// TestProviderAndConsumerProcesses builds both programs, starts the
// provider, runs the consumer against it through ZooKeeper, and stops the
// provider gracefully.
func TestProviderAndConsumerProcesses(t *testing.T) {
	zk := zkAddress(t)
	_, here, _, _ := runtime.Caller(0)
	dir := filepath.Dir(here)
	bin := t.TempDir()
	for _, prog := range []string{"provider", "consumer"} {
		out, err := exec.Command("go", "build", "-o", filepath.Join(bin, prog), "./"+prog).CombinedOutput()
		require.NoError(t, err, "go build %s: %s", prog, out)
	}
	env := append(os.Environ(), "FLEET_ZK="+zk, fmt.Sprintf("GREETER_PORT=%d", testutil.FreePort(t)))

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

	consumer := exec.CommandContext(ctx, filepath.Join(bin, "consumer"), "-config", filepath.Join(dir, "consumer", "consumer.yml"))
	consumer.Env = env
	out, err := consumer.CombinedOutput()
	require.NoError(t, err, "consumer: %s", out)
	text := string(out)
	require.Contains(t, text, "Hello zookeeper, from a fleet provider")
	require.Contains(t, text, "user 42: Ada <ada@example.org>, born 1815-12-10, tags [admin math]")
	require.Contains(t, text, "error as expected:")
	require.Contains(t, text, "no user with id -1")

	require.NoError(t, provider.Process.Signal(syscall.SIGTERM))
	require.True(t, lines.Scan())
	require.Equal(t, "provider stopped", strings.TrimSpace(lines.Text()))
	require.NoError(t, provider.Wait())
}
