package nacostest

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Polaris is a polaris server process of one test, speaking Nacos's
// protocol on 127.0.0.1: HTTP on Port, gRPC on Port+1000, its boltdb store
// in a temporary directory kept across Restart.
type Polaris struct {
	t    testing.TB
	bin  string
	dir  string
	Port int
	cmd  *exec.Cmd
	exit chan error
}

// StartPolaris starts a polaris server of the test's own, from the binary
// FLEET_POLARIS_BIN names (.ci/run builds it and sets it). Without it the
// test skips, unless CI is set: then it fails. It is stopped at cleanup.
func StartPolaris(t testing.TB) *Polaris {
	t.Helper()
	bin := os.Getenv("FLEET_POLARIS_BIN")
	if bin == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("FLEET_POLARIS_BIN is not set but CI is: .ci/run must build the polaris server and export FLEET_POLARIS_BIN")
		}
		t.Skip("FLEET_POLARIS_BIN is not set: build the polaris server (see README) to run tests that restart it")
	}
	p := &Polaris{t: t, bin: bin, dir: t.TempDir()}
	var err error
	for attempt := 0; attempt < 5; attempt++ {
		if p.Port, err = freePortPair(); err != nil {
			continue
		}
		if err = p.start(); err == nil {
			break
		}
	}
	if err != nil {
		t.Fatalf("polaris: %v", err)
	}
	t.Cleanup(p.Stop)
	return p
}

// Addr is host:port of the server's Nacos HTTP port.
func (p *Polaris) Addr() string { return "127.0.0.1:" + strconv.Itoa(p.Port) }

// freePortPair finds a port P such that P and P+1000 are free on
// 127.0.0.1.
func freePortPair() (int, error) {
	for i := 0; i < 50; i++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return 0, err
		}
		port := l.Addr().(*net.TCPAddr).Port
		l.Close()
		if port+1000 > 65535 {
			continue
		}
		l2, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port+1000))
		if err != nil {
			continue
		}
		l2.Close()
		return port, nil
	}
	return 0, errors.New("no free pair of ports")
}

func (p *Polaris) start() error {
	cfg := filepath.Join(p.dir, "polaris.yaml")
	text := strings.NewReplacer("@PORT@", strconv.Itoa(p.Port), "@STORE@", filepath.Join(p.dir, "polaris.bolt")).Replace(configTemplate)
	if err := os.WriteFile(cfg, []byte(text), 0o644); err != nil {
		return err
	}
	out, err := os.OpenFile(filepath.Join(p.dir, "out.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	cmd := exec.Command(p.bin, "start", "-c", cfg)
	cmd.Dir = p.dir
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		out.Close()
		return err
	}
	exit := make(chan error, 1)
	go func() { exit <- cmd.Wait(); out.Close() }()
	p.cmd, p.exit = cmd, exit
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-exit:
			p.cmd = nil
			return fmt.Errorf("exited at start (%v); log: %s", err, p.tail())
		case <-time.After(100 * time.Millisecond):
		}
		if ready(p.Port) && ready(p.Port+1000) {
			return nil
		}
	}
	p.kill()
	return fmt.Errorf("not ready on %s within 30s; log: %s", p.Addr(), p.tail())
}

func ready(port int) bool {
	c, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(port), time.Second)
	if err != nil {
		return false
	}
	c.Close()
	return true
}

func (p *Polaris) tail() string {
	b, _ := os.ReadFile(filepath.Join(p.dir, "out.log"))
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return string(b)
}

func (p *Polaris) kill() {
	if p.cmd == nil {
		return
	}
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
	select {
	case <-p.exit:
	case <-time.After(10 * time.Second):
		p.t.Errorf("polaris pid %d did not exit", p.cmd.Process.Pid)
	}
	p.cmd = nil
}

// Stop kills the server (its data stays until the test ends).
// Idempotent.
func (p *Polaris) Stop() { p.kill() }

// Restart kills the server and starts it again on the same ports and data.
func (p *Polaris) Restart() {
	p.t.Helper()
	p.kill()
	var err error
	for i := 0; i < 20; i++ { // the ports may linger a moment
		if err = p.start(); err == nil {
			return
		}
		time.Sleep(250 * time.Millisecond)
	}
	p.t.Fatalf("polaris restart: %v", err)
}

// Start starts a stopped server again on the same ports and data.
func (p *Polaris) Start() {
	p.t.Helper()
	if p.cmd != nil {
		return
	}
	if err := p.start(); err != nil {
		p.t.Fatalf("polaris start: %v", err)
	}
}
