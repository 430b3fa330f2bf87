package zookeeper

import (
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/fleetrpc/fleet/common"
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
	const path = "/dubbo/com.foo.Svc/providers"
	r.convert(s, svc, path, a)
	b.ReportAllocs()
	b.ResetTimer()
	var ru0, ru1 syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru0)
	defer func() {
		_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru1)
		cpu := ru1.Utime.Nano() + ru1.Stime.Nano() - ru0.Utime.Nano() - ru0.Stime.Nano()
		b.ReportMetric(float64(cpu)/float64(b.N), "cpu-ns/op")
	}()
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
