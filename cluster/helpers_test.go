package cluster

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fleetrpc/fleet/cluster/loadbalance"
	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/directory"
	"github.com/fleetrpc/fleet/protocol"
)

// Script steps beyond the protocol kinds.
const (
	ok    protocol.Kind = -1 // success
	plain protocol.Kind = -2 // an error that is not a *protocol.Error
)

const defaultTestTimeout = 5 * time.Second

// scripted answers each call with the next step of its script; past the
// script it succeeds. With a delay it answers after it, or fails when ctx
// ends first.
type scripted struct {
	url       *common.URL
	script    []protocol.Kind
	delay     atomic.Int64 // ns
	calls     atomic.Int32
	cancelled atomic.Int32
	down      atomic.Bool
}

func (s *scripted) URL() *common.URL  { return s.url }
func (s *scripted) IsAvailable() bool { return !s.down.Load() }
func (s *scripted) Destroy()          {}
func (s *scripted) Invoke(ctx context.Context, _ protocol.Invocation) protocol.Result {
	n := int(s.calls.Add(1)) - 1
	if d := time.Duration(s.delay.Load()); d > 0 {
		select {
		case <-ctx.Done():
			s.cancelled.Add(1)
			return protocol.ErrorResult(protocol.NewError(protocol.KindTimeout, s.url.ServiceKey(), "m", s.url.Address(), "cancelled", ctx.Err()))
		case <-time.After(d):
		}
	}
	if n < len(s.script) {
		switch k := s.script[n]; k {
		case ok:
		case plain:
			return protocol.ErrorResult(errors.New("plain failure"))
		default:
			return protocol.ErrorResult(protocol.NewError(k, s.url.ServiceKey(), "m", s.url.Address(), "scripted", nil))
		}
	}
	return protocol.NewResult(s.url.Address(), nil)
}

func providers(scripts ...[]protocol.Kind) []*scripted {
	out := make([]*scripted, len(scripts))
	for i, sc := range scripts {
		out[i] = &scripted{url: common.MustParse(fmt.Sprintf("dubbo://10.0.0.%d:20880/org.a.Svc?interface=org.a.Svc", i+1)), script: sc}
	}
	return out
}

func asInvokers(ps []*scripted) []protocol.Invoker {
	list := make([]protocol.Invoker, len(ps))
	for i, p := range ps {
		list[i] = p
	}
	return list
}

// inOrder picks the first candidate, so tests know the order of attempts.
type inOrder struct{}

func (inOrder) Select(list []protocol.Invoker, _ *common.URL, _ protocol.Invocation) protocol.Invoker {
	if len(list) == 0 {
		return nil
	}
	return list[0]
}

const consumerBase = "consumer://10.0.0.9/org.a.Svc?interface=org.a.Svc&release=2.7.23"

func consumer(params string) *common.URL { return common.MustParse(consumerBase + params) }

func join(consumerParams string, ps []*scripted) protocol.Invoker {
	return (&Failover{LoadBalance: inOrder{}, Stats: loadbalance.NewStats()}).Join(directory.NewStatic(consumer(consumerParams), asInvokers(ps)))
}

// dynDir is a directory whose list the test changes; it counts List calls
// and may list another slice from the n-th call on.
type dynDir struct {
	url   *common.URL
	mu    sync.Mutex
	lists [][]protocol.Invoker // lists[i] is returned by call i; the last repeats
	calls int
	gone  atomic.Bool
}

func (d *dynDir) URL() *common.URL { return d.url }
func (d *dynDir) List(context.Context, protocol.Invocation) ([]protocol.Invoker, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	i := min(d.calls, len(d.lists)-1)
	d.calls++
	return d.lists[i], nil
}
func (d *dynDir) IsAvailable() bool { return true }
func (d *dynDir) Destroy()          { d.gone.Store(true) }
func (d *dynDir) RegistryURL() *common.URL {
	return common.MustParse("zookeeper://10.0.0.100:2181/org.apache.dubbo.registry.RegistryService")
}

// logBuffer is a logger writing text to a buffer safe for concurrent use.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

func newLog() (*slog.Logger, *logBuffer) {
	lb := &logBuffer{}
	return slog.New(slog.NewTextHandler(lb, nil)), lb
}

func invoke(t *testing.T, inv protocol.Invoker, method string) protocol.Result {
	t.Helper()
	return inv.Invoke(context.Background(), protocol.NewInvocation(method))
}

func calls(ps []*scripted) []int32 {
	out := make([]int32, len(ps))
	for i, p := range ps {
		out[i] = p.calls.Load()
	}
	return out
}

func bytesContains(s, sub string) bool { return strings.Contains(s, sub) }

func discard() *slog.Logger { return slog.New(slog.DiscardHandler) }

// allStrategies names every strategy.
func allStrategies() []string { return Names() }

// strategy returns the strategy registered as name.
func strategy(name string) Cluster {
	c, _ := Get(name)
	return c
}
