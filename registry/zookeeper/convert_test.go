package zookeeper

import (
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/internal/testutil"
)

// TestConvertMergesLikeASort: over a series of changes (names joining,
// leaving, not matching, not URLs), convert's merged list equals parsing and
// sorting the whole list afresh, and unchanged providers keep their URL.
func TestConvertMergesLikeASort(t *testing.T) {
	r := &Registry{log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	svc := common.MustParse("consumer://10.0.0.9/com.foo.Svc?interface=com.foo.Svc&category=providers")
	s := newSubscription(svc, nil)
	name := func(i int) string {
		iface := "com.foo.Svc"
		if i%7 == 0 {
			iface = "com.foo.Other" // does not match
		}
		return common.MustParse(fmt.Sprintf("dubbo://10.0.%d.%d:20880/%s?interface=%s&weight=%d", i/200, i%200, iface, iface, i%13)).Encoded()
	}
	rng := rand.New(rand.NewPCG(1, 2))
	present := map[int]bool{}
	var prev []*common.URL
	for step := range 40 {
		for range rng.IntN(30) {
			present[rng.IntN(400)] = true
		}
		for i := range present {
			if rng.IntN(10) == 0 {
				delete(present, i)
			}
		}
		children := []string{"not-a-url", "dubbo%3A%2F%2F%zz"}
		for i := range present {
			children = append(children, name(i))
		}
		rng.Shuffle(len(children), func(a, b int) { children[a], children[b] = children[b], children[a] })
		got := r.convert(s, svc, "/dubbo/com.foo.Svc/providers", children)
		want := toURLs(svc, children, r.log)
		require.Equal(t, strs(want), strs(got), "step %d", step)
		byString := map[string]*common.URL{}
		for _, u := range prev {
			byString[u.FullString()] = u
		}
		for _, u := range got {
			if old, ok := byString[u.FullString()]; ok {
				require.Same(t, old, u, "an unchanged provider keeps its URL")
			}
		}
		prev = got
	}
}

// TestConvertWalksStableOrder: children read in a mostly stable order, as
// ZooKeeper lists them (names joining and leaving at random places, now
// and then a reshuffle), each read a fresh copy of the names: convert's
// list equals parsing and sorting afresh, and it keeps exactly the names
// of the last read.
func TestConvertWalksStableOrder(t *testing.T) {
	r := &Registry{log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	svc := common.MustParse("consumer://10.0.0.9/com.foo.Svc?interface=com.foo.Svc&category=providers")
	s := newSubscription(svc, nil)
	const path = "/dubbo/com.foo.Svc/providers"
	name := func(i int) string {
		iface := "com.foo.Svc"
		if i%9 == 0 {
			iface = "com.foo.Other" // does not match
		}
		return common.MustParse(fmt.Sprintf("dubbo://10.1.%d.%d:20880/%s?interface=%s&weight=%d", i/200, i%200, iface, iface, i%13)).Encoded()
	}
	rng := rand.New(rand.NewPCG(3, 4))
	var order []string
	next := 0
	for range 300 {
		order = append(order, name(next))
		next++
	}
	order = append(order, "not-a-url")
	for step := range 300 {
		switch k := rng.IntN(30); {
		case k == 0:
			rng.Shuffle(len(order), func(a, b int) { order[a], order[b] = order[b], order[a] })
		case k == 1:
			order = order[:len(order)/2] // a block leaves
		default:
			for range rng.IntN(4) {
				if len(order) > 1 {
					at := rng.IntN(len(order))
					order = slices.Delete(order, at, at+1)
				}
			}
			for range rng.IntN(4) {
				order = slices.Insert(order, rng.IntN(len(order)+1), name(next))
				next++
			}
		}
		children := make([]string, len(order))
		for i, c := range order {
			children[i] = strings.Clone(c) // a read decodes fresh strings
		}
		got := r.convert(s, svc, path, children)
		want := toURLs(svc, children, r.log)
		require.Equal(t, strs(want), strs(got), "step %d", step)
		pp := s.parsed[path]
		require.Len(t, pp.nodes, len(children), "step %d: the names of the last read only", step)
		require.Len(t, pp.order, len(children), "step %d", step)
	}
}

func strs(us []*common.URL) []string {
	out := make([]string, len(us))
	for i, u := range us {
		out[i] = u.FullString()
	}
	return out
}

// BenchmarkConvertOneAdded is the registry's share of applying one added
// provider at 100,000 (issue 17): the child names of a read with one name
// more, then one less, turned into the sorted list to deliver.
func BenchmarkConvertOneAdded(b *testing.B) {
	const n = 100000
	r := &Registry{log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	svc := common.MustParse("consumer://10.0.0.9/com.foo.Svc?interface=com.foo.Svc&category=providers")
	s := newSubscription(svc, nil)
	name := func(i int) string {
		return common.MustParse(fmt.Sprintf("dubbo://10.%d.%d.%d:20880/com.foo.Svc?anyhost=true&application=demo-provider"+
			"&deprecated=false&dubbo=2.0.2&dynamic=true&generic=false&interface=com.foo.Svc&methods=sayHello,sayHelloAsync"+
			"&pid=%d&release=2.7.23&side=provider&timestamp=%d", i>>16&255, i>>8&255, i&255, 10000+i%50000, 1795290108925+int64(i))).Encoded()
	}
	a := make([]string, n)
	for i := range a {
		a[i] = name(i)
	}
	c := append(a[:n:n], name(n))
	for i := range c {
		c[i] = strings.Clone(c[i]) // each read decodes fresh strings
	}
	const path = "/dubbo/com.foo.Svc/providers"
	r.convert(s, svc, path, a)
	b.ReportAllocs()
	b.ResetTimer()
	defer testutil.CPUPerOp(b)()
	for i := 0; i < b.N; i++ {
		list := a
		if i%2 == 0 {
			list = c
		}
		if got := r.convert(s, svc, path, list); len(got) != len(list) {
			b.Fatalf("%d urls from %d names", len(got), len(list))
		}
	}
}
