package cluster

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/fleetrpc/fleet/cluster/loadbalance"
	"github.com/fleetrpc/fleet/directory"
	"github.com/fleetrpc/fleet/protocol"
)

// always is a script of n steps of kind k.
func always(k protocol.Kind, n int) []protocol.Kind {
	s := make([]protocol.Kind, n)
	for i := range s {
		s[i] = k
	}
	return s
}

// testClock is a settable clock.
type testClock struct{ ms atomic.Int64 }

func newTestClock() *testClock {
	c := &testClock{}
	c.ms.Store(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli())
	return c
}
func (c *testClock) now() time.Time          { return time.UnixMilli(c.ms.Load()) }
func (c *testClock) advance(d time.Duration) { c.ms.Add(d.Milliseconds()) }

// joinClocked joins ps with c and consumer params, the outlier detector on
// clock.
func joinClocked(c Cluster, params string, ps []*scripted, clock *testClock) protocol.Invoker {
	inv := c.Join(directory.NewStatic(consumer(params), asInvokers(ps)))
	inv.(interface{ baseOf() *base }).baseOf().outlier.now = clock.now
	return inv
}

func stateOf(inv protocol.Invoker, addr string) string {
	for _, h := range Outliers(inv) {
		if h.Address == addr {
			return h.State
		}
	}
	return "unknown"
}

func TestOutlierConsecutiveFailuresEject(t *testing.T) {
	clock := newTestClock()
	logger, logs := newLog()
	ps := providers(always(protocol.KindNetwork, 100), nil, nil)
	inv := joinClocked(&Failover{LoadBalance: inOrder{}, Stats: loadbalance.NewStats(), Logger: logger},
		"&outlier.consecutive=3&outlier.ejection=10s", ps, clock)
	for range 10 {
		require.NoError(t, invoke(t, inv, "m").Error(), "failover hides the failure")
	}
	require.Equal(t, int32(3), ps[0].calls.Load(), "ejected after three failures in a row")
	require.Equal(t, "ejected", stateOf(inv, "10.0.0.1:20880"))
	require.Contains(t, logs.String(), "provider ejected")
	require.Contains(t, logs.String(), "reason=\"consecutive failures\"")

	// The ejection ends: the next call probes the provider with its first
	// attempt; it still fails, so it is ejected again, for twice as long.
	clock.advance(10 * time.Second)
	require.NoError(t, invoke(t, inv, "m").Error())
	require.Equal(t, int32(4), ps[0].calls.Load(), "one probe")
	require.Equal(t, "ejected", stateOf(inv, "10.0.0.1:20880"))
	clock.advance(15 * time.Second)
	invoke(t, inv, "m")
	require.Equal(t, int32(4), ps[0].calls.Load(), "the second ejection lasts 20 s")
	clock.advance(5 * time.Second)

	// Healthy again: the probe succeeds and the provider is back.
	ps[0].script = nil
	ps[0].calls.Store(0)
	invoke(t, inv, "m")
	require.Equal(t, int32(1), ps[0].calls.Load(), "the probe")
	require.Equal(t, "serving", stateOf(inv, "10.0.0.1:20880"))
	invoke(t, inv, "m")
	require.Equal(t, int32(2), ps[0].calls.Load(), "in service: inOrder picks it first again")
	require.Contains(t, logs.String(), "provider back in service")
}

func TestOutlierFailureRate(t *testing.T) {
	clock := newTestClock()
	// p1 fails every other call: never three in a row, but half its calls.
	ps := providers([]protocol.Kind{protocol.KindTimeout, ok, protocol.KindTimeout, ok, protocol.KindTimeout, ok, protocol.KindTimeout, ok}, nil)
	inv := joinClocked(&Failfast{LoadBalance: inOrder{}, Stats: loadbalance.NewStats()},
		"&outlier.failure.rate=50&outlier.min.calls=6&outlier.consecutive=3", ps, clock)
	for range 5 {
		invoke(t, inv, "m")
	}
	require.Equal(t, "serving", stateOf(inv, "10.0.0.1:20880"), "too few calls in the window")
	invoke(t, inv, "m")
	require.Equal(t, "serving", stateOf(inv, "10.0.0.1:20880"), "the sixth call succeeded: 3/6 counted on failures only")
	invoke(t, inv, "m") // the 4th failure of 7
	require.Equal(t, "ejected", stateOf(inv, "10.0.0.1:20880"))
	before := ps[0].calls.Load()
	invoke(t, inv, "m")
	require.Equal(t, before, ps[0].calls.Load())

	// A strategy that does not probe takes the provider back when the
	// ejection ends.
	clock.advance(DefaultOutlierEjection)
	invoke(t, inv, "m")
	require.Equal(t, before+1, ps[0].calls.Load())
}

func TestOutlierWhatCounts(t *testing.T) {
	tests := []struct {
		name   string
		kind   protocol.Kind
		counts bool
	}{
		{"network", protocol.KindNetwork, true},
		{"timeout", protocol.KindTimeout, true},
		{"plain error", plain, true},
		{"business error is an answer", protocol.KindBusiness, false},
		{"forbidden", protocol.KindForbidden, false},
		{"limit", protocol.KindLimit, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ps := providers(always(tt.kind, 10), nil)
			inv := joinClocked(&Failfast{LoadBalance: inOrder{}, Stats: loadbalance.NewStats()}, "&outlier.consecutive=2", ps, newTestClock())
			for range 3 {
				invoke(t, inv, "m")
			}
			want := "serving"
			if tt.counts {
				want = "ejected"
			}
			require.Equal(t, want, stateOf(inv, "10.0.0.1:20880"))
		})
	}
	t.Run("cancelled by the caller", func(t *testing.T) {
		ps := providers(nil, nil)
		ps[0].delay.Store(int64(time.Hour))
		inv := joinClocked(&Failfast{LoadBalance: inOrder{}, Stats: loadbalance.NewStats()}, "&outlier.consecutive=1", ps, newTestClock())
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		require.Error(t, inv.Invoke(ctx, protocol.NewInvocation("m")).Error())
		require.Equal(t, "serving", stateOf(inv, "10.0.0.1:20880"))
	})
}

func TestOutlierMaxShare(t *testing.T) {
	tests := []struct {
		name       string
		params     string
		failing    int
		providers  int
		maxEjected int
	}{
		{"default half of four", "", 4, 4, 2},
		{"half of three is one", "", 3, 3, 1},
		{"never all: one of two", "", 2, 2, 1},
		{"a lone provider stays", "", 1, 1, 0},
		{"at least one when allowed", "&outlier.max.percent=10", 3, 3, 1},
		{"zero percent ejects none", "&outlier.max.percent=0", 3, 3, 0},
		{"all but one at 100", "&outlier.max.percent=100", 4, 4, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			scripts := make([][]protocol.Kind, tt.providers)
			for i := range tt.failing {
				scripts[i] = always(protocol.KindNetwork, 1000)
			}
			ps := providers(scripts...)
			inv := joinClocked(&Failover{LoadBalance: &loadbalance.Random{}, Stats: loadbalance.NewStats(), Logger: discard()},
				"&outlier.consecutive=1&retries=3"+tt.params, ps, newTestClock())
			for range 200 {
				invoke(t, inv, "m")
			}
			ejected := 0
			for _, h := range Outliers(inv) {
				if h.State != "serving" {
					ejected++
				}
			}
			require.Equal(t, tt.maxEjected, ejected)
		})
	}
}

func TestOutlierOffByDefault(t *testing.T) {
	ps := providers(always(protocol.KindNetwork, 100), nil)
	inv := joinClocked(&Failover{LoadBalance: inOrder{}, Stats: loadbalance.NewStats()}, "", ps, newTestClock())
	for range 20 {
		require.NoError(t, invoke(t, inv, "m").Error())
	}
	require.Equal(t, int32(20), ps[0].calls.Load(), "Java's behaviour: no ejection")
	require.Nil(t, Outliers(inv))
}

func TestOutlierPerMethod(t *testing.T) {
	ps := providers(always(protocol.KindNetwork, 100), nil)
	inv := joinClocked(&Failover{LoadBalance: inOrder{}, Stats: loadbalance.NewStats()}, "&methods=a,b&a.outlier.consecutive=2", ps, newTestClock())
	for range 5 {
		invoke(t, inv, "b")
	}
	require.Equal(t, int32(5), ps[0].calls.Load(), "b has no ejection")
	for range 5 {
		invoke(t, inv, "a")
	}
	require.Equal(t, int32(7), ps[0].calls.Load(), "a ejects after two")
}

func TestOutlierCallPathDoesNotAllocate(t *testing.T) {
	list := nops(10)
	bad := &scripted{url: list[0].URL(), script: always(protocol.KindNetwork, 3)}
	list[0] = bad
	inv := (&Failover{LoadBalance: inOrder{}, Stats: loadbalance.NewStats(), Logger: discard()}).Join(
		directory.NewStatic(consumer("&outlier.consecutive=3"), list))
	call := protocol.NewInvocation("sayHello", "world")
	for range 5 {
		inv.Invoke(context.Background(), call)
	}
	require.Equal(t, "ejected", stateOf(inv, bad.url.Address()))
	require.Zero(t, testing.AllocsPerRun(100, func() { inv.Invoke(context.Background(), call) }))
}
