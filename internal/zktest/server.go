package zktest

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
)

// zkEnvScript is the environment (java, the class path) of Debian's
// zookeeper launcher; StartServer reads it and starts the server's java
// process itself, so that the test owns the process.
const zkEnvScript = "/usr/share/zookeeper/bin/zkEnv.sh"

// Server is a standalone ZooKeeper of one test: its own port on 127.0.0.1,
// its data in the test's temporary folder, killed at cleanup. Stop and
// Start keep the data, so a restart brings back the tree and the sessions.
type Server struct {
	t         testing.TB
	dir       string
	port      int
	java      string
	classpath string
	cmd       *exec.Cmd
	exited    chan struct{}
}

// StartServer starts a ZooKeeper for t from Debian's zookeeper package; t
// skips when the package is not installed, unless CI is set: then it fails.
func StartServer(t testing.TB) *Server {
	t.Helper()
	if _, err := os.Stat(zkEnvScript); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is missing but CI is set: .ci/run must install Debian's zookeeper package", zkEnvScript)
		}
		t.Skipf("%s is missing: install Debian's zookeeper package to run this test", zkEnvScript)
	}
	out, err := exec.Command("bash", "-c", `. "$1" >/dev/null 2>&1; printf '%s\n%s\n' "$JAVA" "$CLASSPATH"`, "zkenv", zkEnvScript).Output()
	require.NoError(t, err, "read %s", zkEnvScript)
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	require.Len(t, lines, 2, "java and class path from %s: %q", zkEnvScript, out)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	s := &Server{t: t, dir: t.TempDir(), port: port, java: lines[0], classpath: lines[1]}
	if s.java == "" {
		s.java = "java"
	}
	s.writeConfig("data")
	s.Start()
	t.Cleanup(s.kill)
	return s
}

// writeConfig writes zoo.cfg with the data folder data.
func (s *Server) writeConfig(data string) {
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
`, filepath.Join(s.dir, data), s.port)
	require.NoError(s.t, os.WriteFile(filepath.Join(s.dir, "zoo.cfg"), []byte(cfg), 0o644))
}

// Addr is host:port.
func (s *Server) Addr() string { return fmt.Sprintf("127.0.0.1:%d", s.port) }

// Start starts the stopped server again on its data and waits until it
// answers.
func (s *Server) Start() {
	s.t.Helper()
	require.Nil(s.t, s.cmd, "zookeeper is running")
	logFile, err := os.OpenFile(filepath.Join(s.dir, "zookeeper.out"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	require.NoError(s.t, err)
	cmd := exec.Command(s.java,
		"-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
		"-Dzookeeper.log.dir="+s.dir, "-Dzookeeper.root.logger=INFO,CONSOLE",
		"-Dzookeeper.admin.enableServer=false",
		"-cp", s.classpath,
		"org.apache.zookeeper.server.quorum.QuorumPeerMain", filepath.Join(s.dir, "zoo.cfg"))
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	require.NoError(s.t, cmd.Start())
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		logFile.Close()
		close(exited)
	}()
	s.cmd, s.exited = cmd, exited
	deadline := time.Now().Add(60 * time.Second)
	for !s.ok() {
		select {
		case <-exited:
			s.cmd = nil
			s.t.Fatalf("zookeeper exited at start:\n%s", s.tail())
		default:
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("zookeeper did not answer on %s within 60s:\n%s", s.Addr(), s.tail())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Stop stops the server as an operator would (SIGTERM, SIGKILL after 10 s)
// and waits for it to exit. The data stays.
func (s *Server) Stop() {
	s.t.Helper()
	require.NotNil(s.t, s.cmd, "zookeeper is not running")
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
	case <-time.After(10 * time.Second):
		_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
		<-s.exited
	}
	s.cmd = nil
}

// Restart stops the server and starts it again on its data.
func (s *Server) Restart() {
	s.t.Helper()
	s.Stop()
	s.Start()
}

// RestartEmpty stops the server and starts it again on an empty data
// folder, as a replaced ensemble comes back: no tree, no sessions.
func (s *Server) RestartEmpty() {
	s.t.Helper()
	s.Stop()
	s.writeConfig(fmt.Sprintf("data-%d", time.Now().UnixNano()))
	s.Start()
}

// ok reports whether the server answers "imok" to "ruok".
func (s *Server) ok() bool {
	c, err := net.DialTimeout("tcp", s.Addr(), time.Second)
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

// kill ends the server at cleanup, whatever its state.
func (s *Server) kill() {
	if s.cmd == nil {
		return
	}
	_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
	<-s.exited
	s.cmd = nil
}

// tail is the end of the server's log, for failure messages.
func (s *Server) tail() string {
	b, _ := os.ReadFile(filepath.Join(s.dir, "zookeeper.out"))
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}
