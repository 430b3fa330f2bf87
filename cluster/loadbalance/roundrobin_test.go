package loadbalance

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/protocol"
)

// named returns invokers a, b, c, … with the given weights.
func named(weights ...int) []protocol.Invoker {
	out := make([]protocol.Invoker, len(weights))
	for i, w := range weights {
		out[i] = stub{common.MustParse(fmt.Sprintf("dubbo://10.0.0.%d:20880/org.a.Svc?weight=%d", i+1, w))}
	}
	return out
}

func letters(list []protocol.Invoker, picks []protocol.Invoker) string {
	var b strings.Builder
	for _, p := range picks {
		for i, iv := range list {
			if iv.URL() == p.URL() {
				b.WriteByte(byte('a' + i))
			}
		}
	}
	return b.String()
}

func sequence(lb LoadBalance, list []protocol.Invoker, n int, method string) string {
	picks := make([]protocol.Invoker, n)
	for i := range picks {
		picks[i] = lb.Select(list, nil, protocol.NewInvocation(method))
	}
	return letters(list, picks)
}

func TestRoundRobinSmoothSequences(t *testing.T) {
	tests := []struct {
		weights []int
		want    string
	}{
		{[]int{1, 1, 1}, "abcabcabc"},
		{[]int{3, 2, 1}, "abacba" + "abacba"},
		{[]int{5, 1, 1}, "aabacaa" + "aabacaa"},
		{[]int{0, 1}, "bbbb"},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.weights), func(t *testing.T) {
			lb := &RoundRobin{}
			list := named(tt.weights...)
			require.Equal(t, tt.want, sequence(lb, list, len(tt.want), "m"))
		})
	}
}

func TestRoundRobinStatePerMethod(t *testing.T) {
	lb := &RoundRobin{}
	list := named(5, 1, 1)
	require.Equal(t, "aab", sequence(lb, list, 3, "m1"))
	require.Equal(t, "aab", sequence(lb, list, 3, "m2"), "another method starts afresh")
	require.Equal(t, "acaa", sequence(lb, list, 4, "m1"))
}

func TestRoundRobinStateCarriedAcrossSnapshots(t *testing.T) {
	lb := &RoundRobin{}
	list := named(5, 1, 1)
	require.Equal(t, "aab", sequence(lb, list, 3, "m"))
	// A new snapshot: new invoker values and URLs for the same providers,
	// in another order. Each provider keeps its place in the sequence.
	again := named(5, 1, 1)
	reordered := []protocol.Invoker{again[2], again[0], again[1]}
	got := make([]protocol.Invoker, 4)
	for i := range got {
		got[i] = lb.Select(reordered, nil, protocol.NewInvocation("m"))
	}
	require.Equal(t, "acaa", letters(again, got))
}

func TestRoundRobinWeightChangeResets(t *testing.T) {
	lb := &RoundRobin{}
	require.Equal(t, "aba", sequence(lb, named(1, 1), 3, "m"))
	// Currents are a −1, b 1. a's weight becomes 2: a restarts at 0 and
	// ties with b at 2, winning as the earlier one (without the reset b
	// would win, 2 to 1).
	require.Equal(t, "a", sequence(lb, named(2, 1), 1, "m"))
}

func TestRoundRobinRecyclesGoneProviders(t *testing.T) {
	now := time.UnixMilli(1_700_000_000_000)
	lb := &RoundRobin{Now: func() time.Time { return now }}
	list := named(1, 1, 1)
	sequence(lb, list, 3, "m")
	st := lb.states.byKey.get(methodKey{"org.a.Svc", "", "", "m"}, newRRState)
	require.Equal(t, 3, st.table.len())
	now = now.Add(30 * time.Second)
	sequence(lb, list[:2], 1, "m")
	require.Equal(t, 3, st.table.len(), "kept for 60 s")
	now = now.Add(61 * time.Second)
	sequence(lb, list[:2], 1, "m")
	require.Equal(t, 2, st.table.len(), "dropped after 60 s")
}
