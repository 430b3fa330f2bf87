package zookeeper_test

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/configcenter/zookeeper"
)

// Debian's zookeeper launcher environment; the test starts the server's
// java process itself, on its own port and data, so it can restart it.
const zkEnvScript = "/usr/share/zookeeper/bin/zkEnv.sh"

// ownZK is a standalone ZooKeeper of one test (the chaos suite's harness,
// reduced): Stop and Start keep the data.
type ownZK struct {
	t             *testing.T
	dir, java, cp string
	port          int
	cmd           *exec.Cmd
	exited        chan struct{}
}

func startOwnZK(t *testing.T) *ownZK {
	t.Helper()
	if _, err := os.Stat(zkEnvScript); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is missing but CI is set: .ci/run must install Debian's zookeeper package", zkEnvScript)
		}
		t.Skipf("%s is missing: install Debian's zookeeper package to run the restart test", zkEnvScript)
	}
	out, err := exec.Command("bash", "-c", `. "$1" >/dev/null 2>&1; printf '%s\n%s\n' "$JAVA" "$CLASSPATH"`, "zkenv", zkEnvScript).Output()
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	require.Len(t, lines, 2)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	z := &ownZK{t: t, dir: t.TempDir(), java: lines[0], cp: lines[1], port: port}
	if z.java == "" {
		z.java = "java"
	}
	z.writeConfig("data")
	z.Start()
	t.Cleanup(z.kill)
	return z
}

// writeConfig writes zoo.cfg with the data folder data.
func (z *ownZK) writeConfig(data string) {
	cfg := fmt.Sprintf("tickTime=200\ninitLimit=10\nsyncLimit=5\nminSessionTimeout=400\nmaxSessionTimeout=60000\ndataDir=%s\nclientPort=%d\nclientPortAddress=127.0.0.1\nadmin.enableServer=false\n4lw.commands.whitelist=ruok\n",
		filepath.Join(z.dir, data), z.port)
	require.NoError(z.t, os.WriteFile(filepath.Join(z.dir, "zoo.cfg"), []byte(cfg), 0o644))
}

func (z *ownZK) Address() string { return fmt.Sprintf("127.0.0.1:%d", z.port) }

func (z *ownZK) Start() {
	z.t.Helper()
	log, err := os.OpenFile(filepath.Join(z.dir, "zookeeper.out"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	require.NoError(z.t, err)
	cmd := exec.Command(z.java, "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
		"-Dzookeeper.log.dir="+z.dir, "-Dzookeeper.root.logger=INFO,CONSOLE", "-Dzookeeper.admin.enableServer=false",
		"-cp", z.cp, "org.apache.zookeeper.server.quorum.QuorumPeerMain", filepath.Join(z.dir, "zoo.cfg"))
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	require.NoError(z.t, cmd.Start())
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); log.Close(); close(exited) }()
	z.cmd, z.exited = cmd, exited
	deadline := time.Now().Add(60 * time.Second)
	for !z.ok() {
		select {
		case <-exited:
			z.cmd = nil
			z.t.Fatal("zookeeper exited at start")
		default:
		}
		require.False(z.t, time.Now().After(deadline), "zookeeper did not answer within 60s")
		time.Sleep(100 * time.Millisecond)
	}
}

func (z *ownZK) ok() bool {
	c, err := net.DialTimeout("tcp", z.Address(), time.Second)
	if err != nil {
		return false
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(2 * time.Second))
	if _, err := c.Write([]byte("ruok")); err != nil {
		return false
	}
	ans, _ := bufio.NewReader(c).ReadString('\n')
	return strings.HasPrefix(ans, "imok")
}

// Stop stops the server (SIGTERM, SIGKILL after 10 s); the data stays.
func (z *ownZK) Stop() {
	z.t.Helper()
	_ = z.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-z.exited:
	case <-time.After(10 * time.Second):
		_ = syscall.Kill(-z.cmd.Process.Pid, syscall.SIGKILL)
		<-z.exited
	}
	z.cmd = nil
}

func (z *ownZK) kill() {
	if z.cmd == nil {
		return
	}
	_ = syscall.Kill(-z.cmd.Process.Pid, syscall.SIGKILL)
	<-z.exited
	z.cmd = nil
}

// TestServerRestart: a real ZooKeeper restarts on its data (the session
// survives): the center reconnects, re-reads and re-watches every key, and
// changes made afterwards arrive; when it comes back with no data at all,
// the center starts a new session after the session timeout.
func TestServerRestart(t *testing.T) {
	zkAddr(t) // the ZooKeeper tests' switch
	z := startOwnZK(t)
	u := common.MustParse("zookeeper://" + z.Address() + "?session=4000&timeout=3000")
	writer := open(t, u)
	c := open(t, u)
	a, b := newEvents(), newEvents()
	stopA, err := c.Watch("a.condition-router", "", a.fn)
	require.NoError(t, err)
	defer stopA()
	stopB, err := c.Watch("b.tag-router", "", b.fn)
	require.NoError(t, err)
	defer stopB()
	require.True(t, a.next(t).Deleted)
	require.True(t, b.next(t).Deleted)
	require.NoError(t, writer.Publish(ctx, "a.condition-router", "", "a1"))
	require.Equal(t, "a1", a.next(t).Content)

	z.Stop()
	z.Start()
	require.NoError(t, writer.Publish(ctx, "a.condition-router", "", "a2"))
	require.Equal(t, "a2", a.next(t).Content, "after a restart on the same data")
	require.NoError(t, writer.Publish(ctx, "b.tag-router", "", "b1"))
	require.Equal(t, "b1", b.next(t).Content)

	// A change made while the server is down arrives once it is back.
	z.Stop()
	z.Start()
	require.NoError(t, writer.Publish(ctx, "b.tag-router", "", "b2"))
	require.Equal(t, "b2", b.next(t).Content)
	require.Equal(t, "a2", mustGet(t, c, "a.condition-router"))

	// The server comes back with no data at all (a replaced ensemble): it
	// refuses the old client, which saw later transactions; after the
	// session timeout the center starts a new session, reads every key
	// again (gone now) and watches it on the new server.
	z.Stop()
	z.writeConfig("fresh")
	z.Start()
	require.True(t, a.next(t).Deleted, "re-read on the empty server")
	require.True(t, b.next(t).Deleted)
	fresh := open(t, u)
	require.NoError(t, fresh.Publish(ctx, "b.tag-router", "", "b3"))
	require.Equal(t, "b3", b.next(t).Content, "watched again on the new server")
}

func mustGet(t *testing.T, c *zookeeper.Center, key string) string {
	t.Helper()
	s, err := c.Get(ctx, key, "")
	require.NoError(t, err)
	return s
}
