package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"
)

// pair is a consumer implementation calling a provider implementation.
type pair struct{ consumer, provider string }

func (p pair) String() string {
	if p.consumer == implEcho {
		return "tcp echo"
	}
	return p.consumer + " → " + p.provider
}

// pairNames are the -pairs names.
var pairNames = map[string]pair{
	"fleet-fleet":     {implFleet, implFleet},
	"fleet-dubbogo":   {implFleet, implDubboGo},
	"dubbogo-dubbogo": {implDubboGo, implDubboGo},
	"dubbogo-fleet":   {implDubboGo, implFleet},
	"echo":            {implEcho, implEcho},
}

// parsePairs reads a comma-separated list of pairNames.
func parsePairs(s string) ([]pair, error) {
	var out []pair
	for _, name := range strings.Split(s, ",") {
		name = strings.TrimSpace(name)
		if name == "" {
			continue
		}
		p, ok := pairNames[name]
		if !ok {
			return nil, fmt.Errorf("unknown pair %q (want fleet-fleet, fleet-dubbogo, dubbogo-dubbogo, dubbogo-fleet or echo)", name)
		}
		out = append(out, p)
	}
	if len(out) == 0 {
		return nil, errors.New("no pair")
	}
	return out, nil
}

// parseCallers reads a comma-separated list of caller counts.
func parseCallers(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			return nil, fmt.Errorf("callers %q: want positive integers", f)
		}
		out = append(out, n)
	}
	return out, nil
}

// benchConfig is one run of the harness.
type benchConfig struct {
	zk       string        // ZooKeeper host:port
	pairs    []pair        // in the order they run, each round
	callers  []int         // each pair runs at each
	rounds   int           // how many times the whole sequence runs
	duration time.Duration // measured time per pair (or calls)
	calls    int64
	warmup   time.Duration
	payload  int
	// dispatcher is the fleet providers' dispatcher URL param; "" leaves
	// the default.
	dispatcher string
	self       string    // the executable re-executed as provider and consumer
	progress   io.Writer // one line per finished measurement; nil for none
}

// row is one measurement: one pair at one caller count in one round.
type row struct {
	Round   int    `json:"round"`
	Callers int    `json:"callers"`
	Pair    string `json:"pair"`
	childResult
}

// run measures every pair at every caller count, rounds times,
// interleaved: round by round, caller count by caller count, pair by
// pair. Each measurement has a provider process and a consumer process of
// its own, in a service group of its own.
func run(ctx context.Context, cfg benchConfig) ([]row, error) {
	var b [4]byte
	_, _ = rand.Read(b[:])
	runID := "fleetbench-" + hex.EncodeToString(b[:])
	var rows []row
	n := 0
	for round := 1; round <= cfg.rounds; round++ {
		for _, c := range cfg.callers {
			for _, p := range cfg.pairs {
				n++
				group := runID + "-" + strconv.Itoa(n)
				res, err := measure(ctx, cfg, p, c, group)
				if err != nil {
					return rows, fmt.Errorf("%s, %d callers, round %d: %w", p, c, round, err)
				}
				r := row{Round: round, Callers: c, Pair: p.String(), childResult: res}
				rows = append(rows, r)
				if cfg.progress != nil {
					fmt.Fprintf(cfg.progress, "%s\n", formatRow(r))
				}
			}
		}
	}
	return rows, nil
}

// measure runs one provider process and one consumer process of p.
func measure(ctx context.Context, cfg benchConfig, p pair, callers int, group string) (childResult, error) {
	var res childResult
	zkArgs := []string{"-zk", cfg.zk, "-group", group}
	provArgs := append([]string{"-impl", p.provider, "-dispatcher", cfg.dispatcher}, zkArgs...)
	prov, err := startChild(ctx, cfg.self, "provider", provArgs, true)
	if err != nil {
		return res, err
	}
	defer prov.stop()
	line, err := prov.await(60 * time.Second)
	if err != nil {
		return res, fmt.Errorf("provider %s: %w", p.provider, err)
	}
	addr, ok := strings.CutPrefix(line, readyPrefix)
	if !ok {
		return res, fmt.Errorf("provider %s: %s", p.provider, line)
	}
	args := append([]string{"-impl", p.consumer, "-addr", addr,
		"-provider-pid", strconv.Itoa(prov.cmd.Process.Pid),
		"-c", strconv.Itoa(callers), "-n", strconv.FormatInt(cfg.calls, 10),
		"-d", cfg.duration.String(), "-warmup", cfg.warmup.String(),
		"-payload", strconv.Itoa(cfg.payload)}, zkArgs...)
	cons, err := startChild(ctx, cfg.self, "consumer", args, false)
	if err != nil {
		return res, err
	}
	defer cons.stop()
	// The consumer's own deadline: refer (60 s), warm-up, the run, and
	// the calls in flight at its end (5 s timeout each).
	limit := 90*time.Second + cfg.warmup + cfg.duration
	if cfg.calls > 0 {
		limit += 5 * time.Minute
	}
	line, err = cons.await(limit)
	if err != nil {
		return res, fmt.Errorf("consumer %s: %w", p.consumer, err)
	}
	if msg, ok := strings.CutPrefix(line, errorPrefix); ok {
		return res, fmt.Errorf("consumer %s: %s", p.consumer, msg)
	}
	if err := json.Unmarshal([]byte(line), &res); err != nil {
		return res, fmt.Errorf("consumer %s: report %q: %w", p.consumer, line, err)
	}
	return res, nil
}

// childProc is a provider or consumer process.
type childProc struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser // provider: closed to end it
	lines chan string    // the report lines (fd 3)
	logs  *tailBuffer    // stdout and stderr, last bytes kept
	done  chan struct{}  // closed when the process has exited
	once  sync.Once
}

func startChild(ctx context.Context, self, role string, args []string, withStdin bool) (*childProc, error) {
	r, w, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, self, append([]string{role}, args...)...)
	cmd.Env = append(os.Environ(), roleEnv+"=1")
	cp := &childProc{cmd: cmd, lines: make(chan string, 4), logs: &tailBuffer{max: 8 << 10}, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = cp.logs, cp.logs
	cmd.ExtraFiles = []*os.File{w}
	if withStdin {
		if cp.stdin, err = cmd.StdinPipe(); err != nil {
			r.Close()
			w.Close()
			return nil, err
		}
	}
	if err := cmd.Start(); err != nil {
		r.Close()
		w.Close()
		return nil, fmt.Errorf("starting %s: %w", role, err)
	}
	w.Close()
	go func() {
		defer r.Close()
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			cp.lines <- sc.Text()
		}
		close(cp.lines)
	}()
	go func() {
		_ = cmd.Wait()
		close(cp.done)
	}()
	return cp, nil
}

// await returns the child's next report line.
func (c *childProc) await(limit time.Duration) (string, error) {
	t := time.NewTimer(limit)
	defer t.Stop()
	select {
	case line, ok := <-c.lines:
		if !ok {
			<-c.done
			return "", fmt.Errorf("exited (%v) without a report; its output ends: %s", c.cmd.ProcessState, c.logs)
		}
		return line, nil
	case <-t.C:
		return "", fmt.Errorf("no report within %v; its output ends: %s", limit, c.logs)
	}
}

// stop ends the child: a provider is asked (stdin closed) and killed
// after 10 s; a consumer that has reported exits by itself.
func (c *childProc) stop() {
	c.once.Do(func() {
		if c.stdin != nil {
			c.stdin.Close()
		}
		select {
		case <-c.done:
		case <-time.After(10 * time.Second):
			_ = c.cmd.Process.Kill()
			<-c.done
		}
	})
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf = append(t.buf, p...)
	if over := len(t.buf) - t.max; over > 0 {
		t.buf = append(t.buf[:0], t.buf[over:]...)
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return strings.TrimSpace(string(t.buf))
}
