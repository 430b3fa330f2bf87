package chaos

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/fleetrpc/fleet/internal/testutil"
	"github.com/fleetrpc/fleet/internal/zktest"
)

// service is the interface the programs export and call.
const service = "org.fleetrpc.chaos.Echo"

// waitLimit bounds every wait of the suite on a process.
const waitLimit = 30 * time.Second

// registryURL is a zookeeper:// URL on z under root group, with extra
// params (session, timeout, file, …).
func registryURL(z *zktest.Server, group, extra string) string {
	return fmt.Sprintf("zookeeper://%s?group=%s%s", z.Addr(), group, extra)
}

// process is a program of the suite, killed at cleanup.
type process struct {
	t      *testing.T
	name   string
	addr   string // a provider's host:port
	cmd    *exec.Cmd
	stderr *lines
	exited chan struct{}
}

func start(t *testing.T, name string, cmd *exec.Cmd) (*process, io.Reader) {
	t.Helper()
	p := &process{t: t, name: name, cmd: cmd, stderr: &lines{}, exited: make(chan struct{})}
	cmd.Stderr = p.stderr
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start(), name)
	go func() {
		_ = cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(p.kill)
	return p, stdout
}

// Signal sends sig to the process.
func (p *process) Signal(sig syscall.Signal) {
	p.t.Helper()
	require.NoError(p.t, p.cmd.Process.Signal(sig), "%s %v", p.name, sig)
}

// kill ends the process at cleanup, frozen or not.
func (p *process) kill() {
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	_ = p.cmd.Process.Signal(syscall.SIGCONT)
	<-p.exited
	if p.t.Failed() {
		p.t.Logf("%s stderr (end):\n%s", p.name, p.stderr.tail(30))
	}
}

// lines is a writer that keeps what it is given as lines.
type lines struct {
	mu      sync.Mutex
	partial []byte
	all     []string
}

func (l *lines) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.partial = append(l.partial, b...)
	for {
		i := bytes.IndexByte(l.partial, '\n')
		if i < 0 {
			break
		}
		l.all = append(l.all, string(l.partial[:i]))
		l.partial = l.partial[i+1:]
	}
	return len(b), nil
}

// matching is the lines holding every one of subs.
func (l *lines) matching(subs ...string) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []string
next:
	for _, s := range l.all {
		for _, sub := range subs {
			if !strings.Contains(s, sub) {
				continue next
			}
		}
		out = append(out, s)
	}
	return out
}

func (l *lines) tail(n int) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.all[max(len(l.all)-n, 0):], "\n")
}

// startProvider starts a provider named name, registered in reg, and waits
// until it is registered.
func startProvider(t *testing.T, reg, name string) *process {
	t.Helper()
	port := testutil.FreePort(t)
	cmd := exec.Command(filepath.Join(programs(t), "provider"), "-registry", reg, "-port", fmt.Sprint(port), "-name", name)
	p, stdout := start(t, "provider "+name, cmd)
	p.addr = fmt.Sprintf("127.0.0.1:%d", port)
	ready := make(chan bool, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		ok := sc.Scan() && sc.Text() == "ready"
		ready <- ok
		for sc.Scan() {
		}
	}()
	select {
	case ok := <-ready:
		require.True(t, ok, "provider %s did not start:\n%s", name, p.stderr.tail(20))
	case <-time.After(waitLimit):
		t.Fatalf("provider %s not ready within %v:\n%s", name, waitLimit, p.stderr.tail(20))
	}
	return p
}

// report is a line of the consumer's output (see internal/consumer).
type report struct {
	Ev      string         `json:"ev"`
	T       int64          `json:"t"`
	Calls   int            `json:"calls"`
	OK      int            `json:"ok"`
	Fail    map[string]int `json:"fail"`
	P50     float64        `json:"p50_ms"`
	P99     float64        `json:"p99_ms"`
	Max     float64        `json:"max_ms"`
	By      map[string]int `json:"by"`
	Errs    []string       `json:"errs"`
	Stall   float64        `json:"stall_ms"`
	FirstOK bool           `json:"first_ok"`
	Session string         `json:"session"`
	ReferMs float64        `json:"refer_ms"`
}

func (r report) failed() int {
	n := 0
	for _, c := range r.Fail {
		n += c
	}
	return n
}

// consumer is the consumer program and what it reported so far.
type consumer struct {
	*process
	stdin io.WriteCloser

	mu      sync.Mutex
	cond    *sync.Cond
	ready   *report
	windows []report
	expired []report
	final   *report
	done    bool // stdout ended
}

// consumerWindow is the consumer's report period.
const consumerWindow = 250 * time.Millisecond

// startConsumer starts the consumer on reg with the reference params refer
// and waits for its first call; 16 callers call, each pausing 2 ms
// between two calls.
func startConsumer(t *testing.T, reg, refer string) *consumer {
	t.Helper()
	return startConsumerPaced(t, reg, refer, 2*time.Millisecond)
}

// startConsumerPaced is startConsumer with the callers' pause.
func startConsumerPaced(t *testing.T, reg, refer string, pause time.Duration) *consumer {
	t.Helper()
	cmd := exec.Command(filepath.Join(programs(t), "consumer"), "-registry", reg, "-refer", refer,
		"-c", "16", "-window", consumerWindow.String(), "-pause", pause.String())
	stdin, err := cmd.StdinPipe()
	require.NoError(t, err)
	p, stdout := start(t, "consumer", cmd)
	c := &consumer{process: p, stdin: stdin}
	c.cond = sync.NewCond(&c.mu)
	go c.read(stdout)
	c.wait("ready", func() bool { return c.ready != nil })
	return c
}

func (c *consumer) read(stdout io.Reader) {
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		var r report
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			continue
		}
		c.mu.Lock()
		switch r.Ev {
		case "ready":
			c.ready = &r
		case "window":
			c.windows = append(c.windows, r)
		case "expired":
			c.expired = append(c.expired, r)
		case "final":
			c.final = &r
		}
		c.cond.Broadcast()
		c.mu.Unlock()
	}
	c.mu.Lock()
	c.done = true
	c.cond.Broadcast()
	c.mu.Unlock()
}

// wait waits, up to waitLimit, until cond (called with c.mu held) holds.
func (c *consumer) wait(what string, cond func() bool) {
	c.t.Helper()
	deadline := time.Now().Add(waitLimit)
	timer := time.AfterFunc(waitLimit, func() {
		c.mu.Lock()
		c.cond.Broadcast()
		c.mu.Unlock()
	})
	defer timer.Stop()
	c.mu.Lock()
	defer c.mu.Unlock()
	for !cond() {
		if c.done {
			c.t.Fatalf("consumer ended before %s:\n%s", what, c.stderr.tail(20))
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("consumer: no %s within %v:\n%s", what, waitLimit, c.stderr.tail(20))
		}
		c.cond.Wait()
	}
}

// mark is the number of windows reported so far: windows from it on ended
// after this moment.
func (c *consumer) mark() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.windows)
}

// windowsFrom returns the windows reported from index i on.
func (c *consumer) windowsFrom(i int) []report {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]report(nil), c.windows[min(i, len(c.windows)):]...)
}

// run lets the callers call for d, counted in reported windows.
func (c *consumer) run(d time.Duration) {
	c.t.Helper()
	n := c.mark() + int(d/consumerWindow)
	c.wait(fmt.Sprintf("window %d", n), func() bool { return len(c.windows) >= n })
}

// waitServed waits up to limit (counted in windows) for a window in which
// provider name served a call, and returns the number of windows that took.
func (c *consumer) waitServed(name string, limit time.Duration) (int, bool) {
	c.t.Helper()
	from := c.mark()
	n := from + int(limit/consumerWindow) + 1
	found := -1
	c.wait("traffic to "+name, func() bool {
		for i := from; i < len(c.windows); i++ {
			if c.windows[i].By[name] > 0 {
				found = i - from + 1
				return true
			}
		}
		return len(c.windows) >= n
	})
	return found, found > 0
}

// command writes one line to the consumer's stdin.
func (c *consumer) command(cmd string) {
	c.t.Helper()
	_, err := io.WriteString(c.stdin, cmd+"\n")
	require.NoError(c.t, err, "consumer: %s", cmd)
}

// quit stops the callers and returns the totals.
func (c *consumer) quit() report {
	c.t.Helper()
	c.command("quit")
	c.wait("final report", func() bool { return c.final != nil })
	select {
	case <-c.exited:
	case <-time.After(waitLimit):
		c.t.Fatalf("consumer did not exit within %v", waitLimit)
	}
	require.Zero(c.t, c.cmd.ProcessState.ExitCode(), "consumer exit:\n%s", c.stderr.tail(20))
	return *c.final
}

// summary logs what a scenario measured.
func summary(t *testing.T, name string, r report, bound string) {
	t.Helper()
	t.Logf("%s: calls %d, failed %d %v, longest stall %.1f ms, longest call %.1f ms; bound: %s",
		name, r.Calls, r.failed(), r.Fail, r.Stall, r.Max, bound)
	if len(r.Errs) > 0 {
		t.Logf("%s: first errors: %q", name, r.Errs)
	}
}
