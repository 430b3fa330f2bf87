package directory

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/protocol"
	"github.com/fleetrpc/fleet/router"
	"github.com/fleetrpc/fleet/router/tag"
)

// listed is what a directory shows: its URL, its invokers' URLs in order,
// and the lists of a few calls.
func listed(t *testing.T, d *RegistryDirectory) []string {
	t.Helper()
	out := []string{"url " + d.URL().FullString()}
	for _, inv := range d.Invokers() {
		out = append(out, inv.URL().FullString())
	}
	for _, inv := range []protocol.Invocation{
		protocol.NewInvocation("sayHello", "x"), protocol.NewInvocation("sayBye", "x"),
		protocol.NewInvocation("other", "x"), protocol.NewInvocation("sayHello", "x").WithAttachment(common.TagKey, "blue"),
	} {
		list, err := d.List(bg, inv)
		if err != nil {
			out = append(out, "error "+err.Error())
			continue
		}
		line := "list " + protocol.RealMethodName(inv) + ":"
		for _, x := range list {
			line += " " + x.URL().Address()
		}
		out = append(out, line)
	}
	return out
}

// TestIncrementalRefreshEqualsFull pushes the same random lists to two
// directories, one applying them in full every time, and requires them to
// list the same at every step, to refer and destroy the same invokers, and
// the incremental one to have taken its fast path for most small changes.
// The lists change a few providers at a time (joining at random places,
// leaving, coming back, re-parsed, duplicated, disabled, another key set or
// method list), with now and then a reordering, an override, an empty push
// and a large change.
func TestIncrementalRefreshEqualsFull(t *testing.T) {
	for _, withRouters := range []bool{false, true} {
		t.Run(fmt.Sprintf("routers=%t", withRouters), func(t *testing.T) {
			rnd := rand.New(rand.NewPCG(17, 3))
			var opts []Option
			if withRouters {
				opts = append(opts, WithRouters(router.Mock(), tag.Static()))
			}
			pFull, pFast := &fakeProtocol{}, &fakeProtocol{}
			full := newDir(t, pFull, "&methods=sayHello,sayBye", opts...)
			full.noFast = true
			fast := newDir(t, pFast, "&methods=sayHello,sayBye", opts...)

			newProvider := func(i int) *common.URL {
				extra := fmt.Sprintf("&timestamp=%d&pid=%d", 1000+i, i%7)
				switch rnd.IntN(14) {
				case 0:
					extra += "&dubbo.tag=blue" // another key set
				case 1:
					extra += "&enabled=false"
				case 2:
					extra += "&methods=sayBye" // another method list (a later value wins)
				case 3:
					extra += "&weight=50"
				}
				return prov(fmt.Sprintf("10.1.%d.%d", i/250, i%250), 20880, extra)
			}
			next := 0
			list := make([]*common.URL, 120)
			for i := range list {
				list[i] = newProvider(next)
				next++
			}
			var gone []*common.URL
			keptSets := 0 // steps after which the method sets were kept beside the entries
			push := func(step int, l []*common.URL) {
				full.Notify(l)
				fast.Notify(l)
				require.Equal(t, listed(t, full), listed(t, fast), "step %d", step)
				fr, fd := pFull.counts()
				sr, sd := pFast.counts()
				require.Equal(t, [2]int{fr, fd}, [2]int{sr, sd}, "step %d: refers and destroys", step)
				require.True(t, slices.IsSortedFunc(fast.current, compareEntries), "step %d", step)
				if fast.currentSets != nil {
					keptSets++
					require.Len(t, fast.currentSets, len(fast.current), "step %d", step)
					for i, e := range fast.current {
						require.Same(t, e.methods, fast.currentSets[i], "step %d: method set %d", step, i)
					}
				}
			}
			push(-1, list)
			fastSteps := 0
			for step := range 400 {
				l := slices.Clone(list)
				switch k := rnd.IntN(40); {
				case k == 0:
					rnd.Shuffle(len(l), func(i, j int) { l[i], l[j] = l[j], l[i] })
				case k == 1:
					o := []*common.URL{override("timeout=" + itoa(rnd.IntN(3)))}
					full.Notify(o)
					fast.Notify(o)
					require.Equal(t, listed(t, full), listed(t, fast), "step %d: override", step)
				case k == 2:
					push(step, []*common.URL{emptyProviders()})
				case k == 3:
					for i := range l {
						if rnd.IntN(3) == 0 {
							l[i] = newProvider(next)
							next++
						}
					}
				case k < 8:
					// More changes than are made in place (maxInPlace),
					// fewer than a full refresh takes.
					for range 3 + rnd.IntN(3) {
						i := rnd.IntN(len(l))
						gone = append(gone, l[i])
						l = slices.Delete(l, i, i+1)
					}
					for range 3 + rnd.IntN(3) {
						l = slices.Insert(l, rnd.IntN(len(l)+1), newProvider(next))
						next++
					}
				default:
					for range rnd.IntN(3) { // leaving
						if len(l) > 1 {
							i := rnd.IntN(len(l))
							if rnd.IntN(8) == 0 {
								i = 0 // the first of its key set
							}
							gone = append(gone, l[i])
							l = slices.Delete(l, i, i+1)
						}
					}
					for range rnd.IntN(3) { // joining
						u := newProvider(next)
						next++
						switch {
						case rnd.IntN(4) == 0 && len(gone) > 0: // coming back
							u = gone[rnd.IntN(len(gone))]
						case rnd.IntN(6) == 0: // a listed one re-parsed
							u = common.MustParse(l[rnd.IntN(len(l))].FullString())
						case rnd.IntN(8) == 0: // a duplicate
							u = l[rnd.IntN(len(l))]
						}
						at := rnd.IntN(len(l) + 1)
						l = slices.Insert(l, at, u)
					}
				}
				before := fast.epoch
				push(step, l)
				if fast.epoch == before {
					fastSteps++
				}
				list = l
			}
			t.Logf("fast path taken in %d of 400 steps, method sets kept after %d", fastSteps, keptSets)
			require.Greater(t, keptSets, 50, "the method sets kept beside the entries are checked")
			require.Greater(t, fastSteps, 200, "most small changes take the fast path")
		})
	}
}

// TestOneAddedAllocation: with 20,000 providers and the built-in routers,
// one provider joining or leaving allocates about one list of the
// invokers (16 B each) and the chain's pools and precomputed results (~3
// B), not copies of the providers list, the entries and the chain's
// indexes (44 B per provider before).
func TestOneAddedAllocation(t *testing.T) {
	const n, rounds = 20000, 10
	d, err := NewRegistry(benchConsumer(), WithProtocol("dubbo", benchProtocol{}), WithLogger(quiet),
		WithRouters(router.Mock(), tag.Static()))
	require.NoError(t, err)
	defer d.Destroy()
	a := javaProviders(0, n)
	// The added provider lands in the middle of the sorted invokers.
	c := slices.Insert(slices.Clone(a), n/2, javaProvider(n))
	d.Notify(a)
	d.Notify(c)
	epoch := d.epoch
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	for i := range rounds {
		if i%2 == 0 {
			d.Notify(a)
		} else {
			d.Notify(c)
		}
	}
	runtime.ReadMemStats(&m1)
	require.Equal(t, epoch, d.epoch, "every change took the fast path")
	perChange := float64(m1.TotalAlloc-m0.TotalAlloc) / rounds
	t.Logf("%.0f B per change, %.1f B per provider", perChange, perChange/n)
	require.Less(t, perChange/n, 22.0, "bytes allocated per provider per change")
	require.Len(t, d.Invokers(), n+1, "the last list notified holds the added provider")
}
