// Command consumer is the chaos suite's consumer: it refers
// org.fleetrpc.chaos.Echo through a ZooKeeper registry and calls "who" from
// -c callers until stdin says "quit" or closes, writing one JSON line per
// window to stdout (calls, successes, failures by kind, latency
// percentiles, calls per provider) and a final line with the totals and the
// longest stall. "expire" on stdin ends its ZooKeeper session from a second
// connection, as ZooKeeper does when a session times out. Logs are JSON on
// stderr.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	_ "github.com/fleetrpc/fleet/cluster"
	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/internal/zktest"
	"github.com/fleetrpc/fleet/protocol"
	_ "github.com/fleetrpc/fleet/protocol/dubbo"
	"github.com/fleetrpc/fleet/registry"
	regprotocol "github.com/fleetrpc/fleet/registry/protocol"
	"github.com/fleetrpc/fleet/registry/zookeeper"
	_ "github.com/fleetrpc/fleet/router/condition"
)

// Interface is the service the suite calls.
const Interface = "org.fleetrpc.chaos.Echo"

// Report is one line of output.
type Report struct {
	Ev      string         `json:"ev"`             // ready, window, expired, final
	T       int64          `json:"t"`              // ms since the callers started
	Calls   int            `json:"calls"`          // calls ended in the window (final: in all)
	OK      int            `json:"ok"`             // of which succeeded
	Fail    map[string]int `json:"fail,omitempty"` // failures by kind
	P50     float64        `json:"p50_ms,omitempty"`
	P99     float64        `json:"p99_ms,omitempty"`
	Max     float64        `json:"max_ms,omitempty"`   // the longest call
	By      map[string]int `json:"by,omitempty"`       // successes by provider
	Errs    []string       `json:"errs,omitempty"`     // a few failures' messages
	Stall   float64        `json:"stall_ms,omitempty"` // final: the longest time no call succeeded
	FirstOK bool           `json:"first_ok,omitempty"` // ready: the first call succeeded
	Session string         `json:"session,omitempty"`  // expired: the session ended
	ReferMs float64        `json:"refer_ms,omitempty"` // ready: how long Refer took
}

var out = json.NewEncoder(os.Stdout)
var outMu sync.Mutex

func emit(r Report) {
	outMu.Lock()
	defer outMu.Unlock()
	_ = out.Encode(r)
}

func main() {
	reg := flag.String("registry", "", "the registry URL (zookeeper://127.0.0.1:port?group=…)")
	refer := flag.String("refer", "", "the reference's params, a query string (cluster=failover&retries=2&…)")
	callers := flag.Int("c", 16, "concurrent callers")
	window := flag.Duration("window", 250*time.Millisecond, "report period")
	pause := flag.Duration("pause", 0, "each caller's pause between two calls")
	flag.Parse()
	logger := slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	slog.SetDefault(logger)
	if err := run(*reg, *refer, *callers, *window, *pause, logger); err != nil {
		fmt.Fprintln(os.Stderr, "consumer:", err)
		os.Exit(1)
	}
}

func run(reg, refer string, callers int, window, pause time.Duration, logger *slog.Logger) error {
	regURL, err := common.Parse(reg)
	if err != nil {
		return err
	}
	q, err := url.ParseQuery(refer)
	if err != nil {
		return fmt.Errorf("-refer: %w", err)
	}
	params := map[string]string{
		"interface": Interface, "application": "chaos-consumer", "register.ip": "127.0.0.1",
		"side": "consumer", "methods": "who", "check": "false", "dubbo": "2.0.2",
	}
	for k := range q {
		params[k] = q.Get(k)
	}
	sniff := &zktest.Gate{} // sees the session, so that "expire" can end it
	p := regprotocol.New(regprotocol.WithLogger(logger), regprotocol.WithRegistryOpener(func(u *common.URL) (registry.Registry, error) {
		r, err := zookeeper.New(u, zookeeper.WithLogger(logger), zookeeper.WithDialer(sniff.Dial))
		if err != nil {
			return nil, err
		}
		return registry.NewFailback(r, registry.WithLogger(logger)), nil
	}))
	defer p.Destroy()

	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	inv, err := p.Refer(ctx, regURL.WithParam("refer", common.Encode(common.ToQueryString(params))))
	cancel()
	if err != nil {
		return err
	}
	referMs := ms(time.Since(start))
	first := inv.Invoke(context.Background(), protocol.NewInvocation("who"))
	ready := Report{Ev: "ready", FirstOK: first.Error() == nil, ReferMs: referMs}
	if err := first.Error(); err != nil {
		ready.Errs = []string{err.Error()}
	}
	emit(ready)

	st := newStats()
	quit := make(chan struct{})
	var wg sync.WaitGroup
	for range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			call := protocol.NewInvocation("who")
			for {
				select {
				case <-quit:
					return
				default:
				}
				t0 := time.Now()
				res := inv.Invoke(context.Background(), call)
				st.record(t0, time.Now(), res)
				if pause > 0 {
					time.Sleep(pause)
				}
			}
		}()
	}
	tick := time.NewTicker(window)
	defer tick.Stop()
	cmds := make(chan string)
	go func() {
		in := bufio.NewScanner(os.Stdin)
		for in.Scan() {
			cmds <- in.Text()
		}
		close(cmds)
	}()
	for {
		select {
		case <-tick.C:
			emit(st.window())
		case cmd, ok := <-cmds:
			switch {
			case !ok || cmd == "quit":
				close(quit)
				wg.Wait()
				emit(st.window())
				emit(st.final())
				return nil
			case cmd == "expire":
				sid, err := sniff.Expire(regURL.Address())
				if err != nil {
					logger.Error("expire failed", "error", err)
					emit(Report{Ev: "expired", Errs: []string{err.Error()}})
					continue
				}
				emit(Report{Ev: "expired", Session: fmt.Sprintf("%#x", sid)})
			}
		}
	}
}

// stats gathers the outcomes of the calls.
type stats struct {
	start  time.Time
	lastOK atomic.Int64 // ns since start of the last success
	stall  atomic.Int64 // ns: the longest gap between successes

	mu      sync.Mutex
	cur     Report
	lat     []time.Duration
	total   Report
	maxCall time.Duration
}

func newStats() *stats {
	return &stats{start: time.Now(), cur: Report{Ev: "window"}, total: Report{Ev: "final", Fail: map[string]int{}}}
}

func (s *stats) record(t0, t1 time.Time, res protocol.Result) {
	err := res.Error()
	if err == nil {
		now := int64(t1.Sub(s.start))
		if prev := s.lastOK.Swap(now); now-prev > s.stall.Load() {
			s.stall.Store(now - prev)
		}
	}
	d := t1.Sub(t0)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cur.Calls++
	s.total.Calls++
	s.lat = append(s.lat, d)
	s.maxCall = max(s.maxCall, d)
	if err == nil {
		s.cur.OK++
		s.total.OK++
		if s.cur.By == nil {
			s.cur.By = map[string]int{}
		}
		name, _ := res.Value().(string)
		s.cur.By[name]++
		return
	}
	kind := protocol.KindOf(err).String()
	if s.cur.Fail == nil {
		s.cur.Fail = map[string]int{}
	}
	s.cur.Fail[kind]++
	s.total.Fail[kind]++
	if len(s.cur.Errs) < 3 {
		s.cur.Errs = append(s.cur.Errs, err.Error())
	}
	if len(s.total.Errs) < 5 {
		s.total.Errs = append(s.total.Errs, err.Error())
	}
}

// window returns the window's report and starts the next one.
func (s *stats) window() Report {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.cur
	r.T = time.Since(s.start).Milliseconds()
	if len(s.lat) > 0 {
		slices.Sort(s.lat)
		r.P50 = ms(s.lat[len(s.lat)*50/100])
		r.P99 = ms(s.lat[min(len(s.lat)*99/100, len(s.lat)-1)])
		r.Max = ms(s.lat[len(s.lat)-1])
	}
	s.cur = Report{Ev: "window"}
	s.lat = s.lat[:0]
	return r
}

// final is the totals.
func (s *stats) final() Report {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.total
	r.T = time.Since(s.start).Milliseconds()
	r.Max = ms(s.maxCall)
	stall := s.stall.Load()
	if tail := int64(time.Since(s.start)) - s.lastOK.Load(); tail > stall {
		stall = tail
	}
	r.Stall = ms(time.Duration(stall))
	return r
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
