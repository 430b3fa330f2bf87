package directory

import (
	"math/rand"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/fleetrpc/fleet/common"
)

// TestRandomChurnKeepsOneSortedInvokerPerProvider pushes random lists
// (providers joining, leaving, re-parsed, duplicated, overridden) and
// checks after each push that the directory holds exactly one invoker per
// distinct provider, sorted, and that every removed invoker was destroyed.
func TestRandomChurnKeepsOneSortedInvokerPerProvider(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	p := &fakeProtocol{}
	d := newDir(t, p, "")
	pool := make([]*common.URL, 60)
	for i := range pool {
		pool[i] = prov("10.0.2."+itoa(i%20), 1+i/20, "")
	}
	for round := 0; round < 200; round++ {
		var push []*common.URL
		want := map[string]bool{}
		for i, u := range pool {
			if rng.Intn(3) == 0 {
				continue
			}
			if rng.Intn(4) == 0 {
				u = common.MustParse(u.String()) // same provider, new pointer
			}
			push = append(push, u)
			if rng.Intn(10) == 0 {
				push = append(push, u) // duplicate
			}
			want[pool[i].Address()] = true
		}
		if rng.Intn(10) == 0 {
			d.Notify(urls(override("timeout=" + itoa(rng.Intn(3)))))
		}
		rng.Shuffle(len(push), func(i, j int) { push[i], push[j] = push[j], push[i] })
		if len(push) == 0 {
			continue
		}
		d.Notify(push)
		got := d.Invokers()
		require.Len(t, got, len(want), "round %d", round)
		entries := d.current
		require.True(t, slices.IsSortedFunc(entries, compareEntries), "round %d", round)
		for _, inv := range got {
			require.True(t, want[inv.URL().Address()], "round %d: %s listed", round, inv.URL().Address())
			require.Zero(t, inv.(*fakeInvoker).destroyed.Load(), "round %d: a listed invoker is destroyed", round)
		}
	}
	refers, destroys := p.counts()
	require.Equal(t, refers-len(d.Invokers()), destroys, "every invoker not listed was destroyed")
}
