package zookeeper

import (
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/internal/testutil"
)

// lastList keeps the last list a listener was notified, and how many.
type lastList struct {
	urls []*common.URL
	n    int
}

func (l *lastList) Notify(urls []*common.URL) { l.urls, l.n = urls, l.n+1 }

// TestDeltasEqualFullReads: a random series of children created and
// deleted, applied as persistent-watch events, now and then a full read
// on the same session (in a shuffled order, as a re-read gives it) and
// events numbered before a read (already in it): after every step the last
// list notified equals parsing and sorting the current names afresh, and
// an event that changes nothing matching notifies nothing.
func TestDeltasEqualFullReads(t *testing.T) {
	r := &Registry{log: slog.New(slog.NewTextHandler(io.Discard, nil)), cfg: config{layout: newLayout("dubbo")}}
	svc := common.MustParse("consumer://10.0.0.9/com.foo.Svc?interface=com.foo.Svc&category=providers")
	l := &lastList{}
	s := newSubscription(svc, l)
	r.subs = []*subscription{s}
	const path = "/dubbo/com.foo.Svc/providers"
	name := func(i int) string {
		switch {
		case i%11 == 0:
			return fmt.Sprintf("not-a-url-%d", i)
		case i%7 == 0:
			return common.MustParse(fmt.Sprintf("dubbo://10.0.%d.%d:20880/com.foo.Other?interface=com.foo.Other", i/200, i%200)).Encoded()
		}
		return common.MustParse(fmt.Sprintf("dubbo://10.0.%d.%d:20880/com.foo.Svc?interface=com.foo.Svc&weight=%d", i/200, i%200, i%13)).Encoded()
	}
	rng := rand.New(rand.NewPCG(3, 4))
	present := map[int]bool{}
	names := func() []string {
		out := make([]string, 0, len(present))
		for i := range present {
			out = append(out, strings.Clone(name(i)))
		}
		rng.Shuffle(len(out), func(a, b int) { out[a], out[b] = out[b], out[a] })
		return out
	}
	const gen = 1
	seq, pzxid := uint64(10), int64(100)
	read := func() {
		seq++
		pzxid++
		s.mu.Lock()
		r.deliverLocked(s, svc, "providers", path, listing{children: names(), pzxid: pzxid, gen: gen, seq: seq, watched: true}, false)
		s.mu.Unlock()
	}
	// An event as run takes it: applied, then the changed lists delivered.
	event := func(i int, created bool, at uint64) bool {
		ok := r.childChanged(path, "com.foo.Svc", "providers", name(i), created, gen, at)
		r.flushDeltas()
		return ok
	}
	read()
	fullReads, deltas, quiet := 0, 0, 0
	for step := range 600 {
		before := l.n
		i := rng.IntN(200)
		switch k := rng.IntN(100); {
		case k < 3:
			read()
			fullReads++
		case k < 6:
			// Numbered before the last read: already in it, dropped.
			require.True(t, event(i, !present[i], seq-1))
			require.Equal(t, before, l.n, "step %d: an event older than the read changes nothing", step)
		default:
			created := !present[i]
			if created {
				present[i] = true
			} else {
				delete(present, i)
			}
			seq++
			require.True(t, event(i, created, seq), "step %d: the cache takes the event", step)
			deltas++
			if i%11 == 0 || i%7 == 0 {
				require.Equal(t, before, l.n, "step %d: a name that does not match notifies nothing", step)
				quiet++
			}
		}
		want := toURLs(svc, names(), r.log)
		if len(want) == 0 {
			want = []*common.URL{emptyURL(svc, "providers")}
		}
		require.Equal(t, strs(want), strs(l.urls), "step %d", step)
		pp := s.parsed[path]
		require.Len(t, pp.nodes, len(present), "step %d: the cache holds the current names only", step)
		require.LessOrEqual(t, len(pp.order), 2*len(present)+130, "step %d: order is compacted", step)
	}
	require.Greater(t, fullReads, 8)
	require.Greater(t, deltas, 450)
	require.Greater(t, quiet, 20)

	// A burst of events taken in one batch: one delivery, the final list.
	before := l.n
	for k := range 20 {
		i := 300 + k // not present yet
		if i%11 == 0 || i%7 == 0 {
			continue
		}
		present[i] = true
		seq++
		require.True(t, r.childChanged(path, "com.foo.Svc", "providers", name(i), true, gen, seq))
	}
	r.flushDeltas()
	require.Equal(t, before+1, l.n, "one delivery for the batch")
	require.Equal(t, strs(toURLs(svc, names(), r.log)), strs(l.urls))
	r.flushDeltas()
	require.Equal(t, before+1, l.n, "nothing left to deliver")

	// Providers coming and going for long without a full read: the
	// deleted nodes are dropped from order as they pile up.
	for k := range 600 {
		i := 500 + k%150 // matching or not, each twice: created, then deleted
		if i%11 == 0 {
			continue
		}
		created := !present[i]
		if created {
			present[i] = true
		} else {
			delete(present, i)
		}
		seq++
		require.True(t, event(i, created, seq))
		pp := s.parsed[path]
		require.LessOrEqual(t, len(pp.order), 2*len(pp.nodes)+66, "order is compacted")
	}
	require.Equal(t, strs(toURLs(svc, names(), r.log)), strs(l.urls))
	read()
	require.Equal(t, strs(toURLs(svc, names(), r.log)), strs(l.urls), "a full read after many deltas")
	require.Len(t, s.parsed[path].nodes, len(present))

	// A read on another session (generation) or none: the cache cannot
	// take the event; the path must be read in full.
	s.mu.Lock()
	defer s.mu.Unlock()
	taken, _ := r.applyLocked(s, svc, path, name(1), true, gen+1, seq+1)
	require.False(t, taken)
	taken, _ = r.applyLocked(s, svc, "/dubbo/com.foo.Svc/routers", name(1), true, gen, seq+1)
	require.False(t, taken)
}

// BenchmarkEventOneAdded is the registry's share of one provider added at
// 100,000 with persistent watches (issue 17), as run takes the event: the
// NodeCreated event's name parsed, inserted by a binary search and the
// full list copied for the listener; every other op the NodeDeleted of the
// same name.
func BenchmarkEventOneAdded(b *testing.B) {
	const n = 100000
	r := &Registry{log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	svc := common.MustParse("consumer://10.0.0.9/com.foo.Svc?interface=com.foo.Svc&category=providers")
	l := &lastList{}
	s := newSubscription(svc, l)
	r.subs = []*subscription{s}
	children := make([]string, n)
	for i := range children {
		children[i] = javaName(i)
	}
	const path = "/dubbo/com.foo.Svc/providers"
	r.deliverLocked(s, svc, "providers", path, listing{children: children, pzxid: 1, gen: 1, seq: 1, watched: true}, false)
	children = nil
	added := javaName(n)
	seq := uint64(1)
	runtime.GC() // the set-up's garbage is not the event's
	b.ReportAllocs()
	b.ResetTimer()
	defer testutil.CPUPerOp(b)()
	for i := 0; i < b.N; i++ {
		seq++
		name := strings.Clone(added) // each event decodes a fresh string
		created := i%2 == 0
		r.childChanged(path, "com.foo.Svc", "providers", name, created, 1, seq)
		r.flushDeltas()
		if want := n + 1 - i%2; len(l.urls) != want || !slices.IsSortedFunc(l.urls[:2], compareURLs) {
			b.Fatalf("%d urls, want %d", len(l.urls), want)
		}
	}
}
