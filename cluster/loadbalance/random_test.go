package loadbalance

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/protocol"
)

type stub struct{ url *common.URL }

func (s stub) URL() *common.URL  { return s.url }
func (s stub) IsAvailable() bool { return true }
func (s stub) Destroy()          {}
func (s stub) Invoke(context.Context, protocol.Invocation) protocol.Result {
	return protocol.NewResult(nil, nil)
}

func invokers(params ...string) []protocol.Invoker {
	out := make([]protocol.Invoker, len(params))
	for i, p := range params {
		out[i] = stub{common.MustParse(fmt.Sprintf("dubbo://10.0.0.%d:20880/org.a.Svc?%s", i+1, p))}
	}
	return out
}

func TestRandomWeightedOffsets(t *testing.T) {
	// Weights [1,9,6]: offset 0 → #0, 1–9 → #1, 10–15 → #2 (cluster.md §4.2).
	list := invokers("weight=1", "weight=9", "sayHello.weight=6")
	inv := protocol.NewInvocation("sayHello")
	for offset := 0; offset < 16; offset++ {
		want := 0
		switch {
		case offset >= 10:
			want = 2
		case offset >= 1:
			want = 1
		}
		lb := &Random{Intn: func(n int) int {
			require.Equal(t, 16, n, "the offset is drawn over the total weight")
			return offset
		}}
		require.Same(t, list[want].URL(), lb.Select(list, nil, inv).URL(), "offset %d", offset)
	}
}

func TestRandomEqualWeightsPickUniformly(t *testing.T) {
	list := invokers("", "weight=100", "")
	for i := range list {
		lb := &Random{Intn: func(n int) int {
			require.Equal(t, 3, n, "equal weights draw an index")
			return i
		}}
		require.Same(t, list[i].URL(), lb.Select(list, nil, protocol.NewInvocation("m")).URL())
	}
}

func TestRandomEdges(t *testing.T) {
	lb := &Random{}
	require.Nil(t, lb.Select(nil, nil, protocol.NewInvocation("m")))
	one := invokers("weight=0")
	require.Equal(t, one[0], lb.Select(one, nil, protocol.NewInvocation("m")), "one candidate is chosen whatever its weight")
	zero := invokers("weight=0", "weight=0")
	require.NotNil(t, lb.Select(zero, nil, protocol.NewInvocation("m")), "zero total weight picks uniformly")

	// Shares follow the weights with the real generator.
	list := invokers("weight=100", "weight=300")
	counts := map[string]int{}
	for i := 0; i < 40000; i++ {
		counts[lb.Select(list, nil, protocol.NewInvocation("m")).URL().Host()]++
	}
	require.InDelta(t, 0.25, float64(counts["10.0.0.1"])/40000, 0.02)
}

func TestRegistry(t *testing.T) {
	lb, err := Get(RandomName)
	require.NoError(t, err)
	require.IsType(t, &Random{}, lb)
	require.Contains(t, Names(), RandomName)
	_, err = Get("nope")
	require.EqualError(t, err, `loadbalance: unknown load balancer "nope" (forgotten import?)`)
	require.Panics(t, func() { Register(RandomName, &Random{}) })
}

func TestRandomAppliesWarmup(t *testing.T) {
	// One provider up for 60 s (weight 10) beside one fully warm (100):
	// offsets 0–9 pick the new one.
	now := time.UnixMilli(1_700_000_600_000)
	list := invokers(fmt.Sprintf("timestamp=%d", now.UnixMilli()-60_000), "")
	for offset, want := range map[int]int{0: 0, 9: 0, 10: 1, 109: 1} {
		lb := &Random{Now: func() time.Time { return now }, Intn: func(n int) int {
			require.Equal(t, 110, n)
			return offset
		}}
		require.Same(t, list[want].URL(), lb.Select(list, nil, protocol.NewInvocation("m")).URL())
	}
	// Seeded shares: ≈ 10:100.
	rng := rand.New(rand.NewPCG(1, 2))
	lb := &Random{Now: func() time.Time { return now }, Intn: rng.IntN}
	counts := [2]int{}
	for i := 0; i < 11000; i++ {
		if lb.Select(list, nil, protocol.NewInvocation("m")) == list[0] {
			counts[0]++
		} else {
			counts[1]++
		}
	}
	require.InDelta(t, 1000, counts[0], 100)
}
