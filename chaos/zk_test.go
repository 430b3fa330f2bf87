package chaos

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

	"github.com/go-zookeeper/zk"
	"github.com/stretchr/testify/require"
)

// zkServerScript is Debian's zookeeper launcher; the suite reads its
// environment (zkEnv.sh: java, the class path) and starts the server's
// java process itself, so that it owns the process.
const (
	zkServerScript = "/usr/share/zookeeper/bin/zkServer.sh"
	zkEnvScript    = "/usr/share/zookeeper/bin/zkEnv.sh"
)

// zkServer is a standalone ZooKeeper of one test: its own port on
// 127.0.0.1, its data in the test's temporary folder, stopped at cleanup.
// Stop and Start keep the data, so a restart brings back the tree and the
// sessions.
type zkServer struct {
	t         *testing.T
	dir       string
	port      int
	java      string
	classpath string
	cmd       *exec.Cmd
	exited    chan struct{}
}

// startZK starts a ZooKeeper for t; t skips when the zookeeper package is
// not installed, unless CI is set.
func startZK(t *testing.T) *zkServer {
	t.Helper()
	if _, err := os.Stat(zkServerScript); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is missing but CI is set: .ci/run must install Debian's zookeeper package", zkServerScript)
		}
		t.Skipf("%s is missing: install Debian's zookeeper package to run the chaos suite", zkServerScript)
	}
	out, err := exec.Command("bash", "-c", `. "$1" >/dev/null 2>&1; printf '%s\n%s\n' "$JAVA" "$CLASSPATH"`, "zkenv", zkEnvScript).Output()
	require.NoError(t, err, "read %s", zkEnvScript)
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	require.Len(t, lines, 2, "java and class path from %s: %q", zkEnvScript, out)
	z := &zkServer{t: t, dir: t.TempDir(), port: freePort(t), java: lines[0], classpath: lines[1]}
	if z.java == "" {
		z.java = "java"
	}
	cfg := fmt.Sprintf(`tickTime=200
initLimit=10
syncLimit=5
minSessionTimeout=400
maxSessionTimeout=60000
dataDir=%s
clientPort=%d
clientPortAddress=127.0.0.1
maxClientCnxns=0
admin.enableServer=false
4lw.commands.whitelist=ruok,srvr,stat
`, filepath.Join(z.dir, "data"), z.port)
	require.NoError(t, os.WriteFile(filepath.Join(z.dir, "zoo.cfg"), []byte(cfg), 0o644))
	z.Start()
	t.Cleanup(z.kill)
	return z
}

// Address is host:port.
func (z *zkServer) Address() string { return fmt.Sprintf("127.0.0.1:%d", z.port) }

// Start starts the server (again) on its data and waits until it answers.
func (z *zkServer) Start() {
	z.t.Helper()
	require.Nil(z.t, z.cmd, "zookeeper is running")
	logFile, err := os.OpenFile(filepath.Join(z.dir, "zookeeper.out"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	require.NoError(z.t, err)
	cmd := exec.Command(z.java,
		"-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
		"-Dzookeeper.log.dir="+z.dir, "-Dzookeeper.root.logger=INFO,CONSOLE",
		"-Dzookeeper.admin.enableServer=false",
		"-cp", z.classpath,
		"org.apache.zookeeper.server.quorum.QuorumPeerMain", filepath.Join(z.dir, "zoo.cfg"))
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	require.NoError(z.t, cmd.Start())
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		logFile.Close()
		close(exited)
	}()
	z.cmd, z.exited = cmd, exited
	deadline := time.Now().Add(60 * time.Second)
	for !z.ok() {
		select {
		case <-exited:
			z.cmd = nil
			z.t.Fatalf("zookeeper exited at start:\n%s", z.tail())
		default:
		}
		if time.Now().After(deadline) {
			z.t.Fatalf("zookeeper did not answer on %s within 60s:\n%s", z.Address(), z.tail())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// ok reports whether the server answers "imok" to "ruok".
func (z *zkServer) ok() bool {
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

// Stop stops the server as an operator would (SIGTERM, SIGKILL after 10 s)
// and waits for it to exit. The data stays.
func (z *zkServer) Stop() {
	z.t.Helper()
	require.NotNil(z.t, z.cmd, "zookeeper is not running")
	_ = z.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-z.exited:
	case <-time.After(10 * time.Second):
		_ = syscall.Kill(-z.cmd.Process.Pid, syscall.SIGKILL)
		<-z.exited
	}
	z.cmd = nil
}

// kill ends the server at cleanup, whatever its state.
func (z *zkServer) kill() {
	if z.cmd == nil {
		return
	}
	_ = syscall.Kill(-z.cmd.Process.Pid, syscall.SIGKILL)
	<-z.exited
	z.cmd = nil
}

// tail is the end of the server's log, for failure messages.
func (z *zkServer) tail() string {
	b, _ := os.ReadFile(filepath.Join(z.dir, "zookeeper.out"))
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}

// Client is a plain ZooKeeper client on the server, closed at cleanup, for
// looking at the tree and writing into it.
func (z *zkServer) Client() *zk.Conn {
	z.t.Helper()
	c, events, err := zk.Connect([]string{z.Address()}, 10*time.Second, zk.WithLogInfo(false), zk.WithLogger(quiet{}))
	require.NoError(z.t, err)
	z.t.Cleanup(func() {
		c.Close()
		for range events { // wait for the client's goroutines
		}
	})
	timeout := time.After(30 * time.Second)
	for {
		select {
		case ev := <-events:
			if ev.State == zk.StateHasSession {
				return c
			}
		case <-timeout:
			z.t.Fatal("no ZooKeeper session within 30s")
		}
	}
}

type quiet struct{}

func (quiet) Printf(string, ...any) {}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
