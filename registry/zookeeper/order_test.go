package zookeeper

import (
	"bytes"
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
)

func TestCompareURLs(t *testing.T) {
	many := func(n int, last string) *common.URL {
		var b strings.Builder
		b.WriteString("dubbo://10.0.0.1:1/S?")
		for i := range n {
			fmt.Fprintf(&b, "k%03d=v&", i)
		}
		b.WriteString("zz=" + last)
		return common.MustParse(b.String())
	}
	for _, tc := range []struct {
		a, b string
		want int
	}{
		{"dubbo://10.0.0.1:1/S", "dubbo://10.0.0.1:1/S", 0},
		{"dubbo://10.0.0.1:1/S?a=1&b=2", "dubbo://10.0.0.1:1/S?b=2&a=1", 0},
		{"dubbo://10.0.0.1:1/S", "tri://10.0.0.0:1/S", -1},
		{"dubbo://10.0.0.1:1/S", "dubbo://10.0.0.10:1/S", -1},
		{"dubbo://10.0.0.10:1/S", "dubbo://10.0.0.2:1/S", -1},
		{"dubbo://10.0.0.1:9/S", "dubbo://10.0.0.1:10/S", -1},
		{"dubbo://10.0.0.1:1/A", "dubbo://10.0.0.1:1/B", -1},
		{"dubbo://u@10.0.0.1:1/S", "dubbo://v@10.0.0.1:1/S", -1},
		{"dubbo://u:p@10.0.0.1:1/S", "dubbo://u:q@10.0.0.1:1/S", -1},
		{"dubbo://10.0.0.1:1/S?a=1", "dubbo://10.0.0.1:1/S?a=2", -1},
		{"dubbo://10.0.0.1:1/S?a=9", "dubbo://10.0.0.1:1/S?b=1", -1},
		{"dubbo://10.0.0.1:1/S?a=1", "dubbo://10.0.0.1:1/S?a=1&b=1", -1},
		{"dubbo://10.0.0.1:1/S", "dubbo://10.0.0.1:1/S?a=1", -1},
	} {
		a, b := common.MustParse(tc.a), common.MustParse(tc.b)
		require.Equal(t, tc.want, compareURLs(a, b), "%s vs %s", tc.a, tc.b)
		require.Equal(t, -tc.want, compareURLs(b, a), "%s vs %s", tc.b, tc.a)
	}
	// Beyond the 64 parameters compareParams keeps on the stack.
	require.Equal(t, -1, compareURLs(many(80, "a"), many(80, "b")))
	require.Equal(t, 1, compareURLs(many(80, "b"), many(80, "a")))
	require.Zero(t, compareURLs(many(80, "a"), many(80, "a")))
	require.Equal(t, -1, compareURLs(many(81, "a"), many(80, "a")), "k080 < zz")

	short, long := common.MustParse("dubbo://10.0.0.1:1/S?a=1"), common.MustParse("dubbo://10.0.0.1:1/S?a=1&b=1")
	require.Zero(t, testing.AllocsPerRun(100, func() { compareURLs(short, long) }), "no allocation")
}

// TestNameKeys: a name's key is its text's, not its string's; distinct
// names get distinct keys; hashers of different seeds differ.
func TestNameKeys(t *testing.T) {
	h, other := newNameHasher(), newNameHasher()
	seen := map[nameKey]string{}
	differ := 0
	for i := range 50000 {
		name := common.Encode(fmt.Sprintf("dubbo://10.0.%d.%d:20880/com.foo.Svc?weight=%d", i/250, i%250, i))
		k := h.key(name)
		require.Equal(t, k, h.key(strings.Clone(name)))
		if prev, ok := seen[k]; ok {
			t.Fatalf("%q and %q share a key", name, prev)
		}
		seen[k] = name
		if other.key(name) != k {
			differ++
		}
	}
	require.Greater(t, differ, 49000, "seeds per hasher")
}

// TestConvertSameOrderAnyHistory: subscriptions that reach the same child
// names by different histories, in different read orders and with
// different key seeds (as registries in different processes do) deliver
// the same list in the same order, the one of compareURLs.
func TestConvertSameOrderAnyHistory(t *testing.T) {
	r := &Registry{log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	svc := common.MustParse("consumer://10.0.0.9/com.foo.Svc?interface=com.foo.Svc&category=providers")
	const path = "/dubbo/com.foo.Svc/providers"
	name := func(i int) string {
		return common.MustParse(fmt.Sprintf("dubbo://10.2.%d.%d:%d/com.foo.Svc?interface=com.foo.Svc&weight=%d",
			i%3, i%50, 20880+i%4, i)).Encoded()
	}
	final := make([]string, 200)
	for i := range final {
		final[i] = name(i)
	}
	var lists [][]string
	for k := range 4 {
		rng := rand.New(rand.NewPCG(uint64(k), 9))
		s := newSubscription(svc, nil)
		// A history: reads of growing subsets with strays that leave, then
		// the final names in an order of their own.
		var cur []string
		for step := range 10 {
			cur = append(cur, final[step*20:step*20+20]...)
			read := append(slices.Clone(cur), name(1000+step), name(2000+rng.IntN(5)))
			rng.Shuffle(len(read), func(a, b int) { read[a], read[b] = read[b], read[a] })
			r.convert(s, svc, path, read)
		}
		read := slices.Clone(final)
		rng.Shuffle(len(read), func(a, b int) { read[a], read[b] = read[b], read[a] })
		got := r.convert(s, svc, path, read)
		require.True(t, slices.IsSortedFunc(got, compareURLs), "history %d", k)
		require.Equal(t, strs(toURLs(svc, read, r.log)), strs(got), "history %d", k)
		lists = append(lists, strs(got))
	}
	for k := 1; k < len(lists); k++ {
		require.Equal(t, lists[0], lists[k], "history %d", k)
	}
}

// TestConvertKeyCollision: names that share a key within one read are
// not taken for one: the read is converted afresh (the list is right), an
// error is logged, and later reads stay right.
func TestConvertKeyCollision(t *testing.T) {
	var logged bytes.Buffer
	r := &Registry{log: slog.New(slog.NewTextHandler(&logged, nil))}
	svc := common.MustParse("consumer://10.0.0.9/com.foo.Svc?interface=com.foo.Svc&category=providers")
	const path = "/dubbo/com.foo.Svc/providers"
	s := newSubscription(svc, nil)
	h := newNameHasher()
	// A hash that makes every name of port 1 share one key.
	pp := newParsedPath(svc, 0)
	pp.keyOf = func(name string) nameKey {
		if strings.Contains(name, "%3A1%2F") {
			return nameKey{1, 1}
		}
		return h.key(name)
	}
	s.parsed[path] = pp
	name := func(host string, port int) string {
		return common.MustParse(fmt.Sprintf("dubbo://%s:%d/com.foo.Svc?interface=com.foo.Svc", host, port)).Encoded()
	}
	reads := [][]string{
		{name("10.0.0.1", 2), name("10.0.0.2", 1)},
		{name("10.0.0.1", 2), name("10.0.0.2", 1), name("10.0.0.3", 1)},
		{name("10.0.0.3", 1), name("10.0.0.4", 2), name("10.0.0.5", 1)},
		{name("10.0.0.4", 2)},
	}
	for i, read := range reads {
		got := r.convert(s, svc, path, read)
		require.Equal(t, strs(toURLs(svc, read, r.log)), strs(got), "read %d", i)
	}
	require.Equal(t, 2, strings.Count(logged.String(), "share a key"), logged.String())
}

// BenchmarkRetainedPerProvider is the heap the registry's cache of one
// category keeps per provider (issue 17): 10,000 Java-style child names
// converted, the names of the read then dropped. B/provider counts the
// parsed URLs too (their decoded text, offsets and the URL).
func BenchmarkRetainedPerProvider(b *testing.B) {
	const n = 10000
	r := &Registry{log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	svc := common.MustParse("consumer://10.0.0.9/com.foo.Svc?interface=com.foo.Svc&category=providers")
	const path = "/dubbo/com.foo.Svc/providers"
	var own float64
	for i := 0; i < b.N; i++ {
		var m1, m2 runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&m1)
		children := make([]string, n)
		for j := range children {
			children[j] = javaName(j)
		}
		s := newSubscription(svc, nil)
		urls := r.convert(s, svc, path, children)
		if len(urls) != n {
			b.Fatalf("%d urls from %d names", len(urls), n)
		}
		urls = nil
		children = nil
		runtime.GC()
		runtime.ReadMemStats(&m2)
		own = float64(int64(m2.HeapAlloc)-int64(m1.HeapAlloc)) / n
		runtime.KeepAlive(s)
	}
	b.ReportMetric(own, "B/provider")
	b.ReportMetric(0, "ns/op")
}

// javaName is the child name of a Java 2.7-style provider URL (~330 bytes
// decoded), as BenchmarkConvertOneAdded's.
func javaName(i int) string {
	return common.MustParse(fmt.Sprintf("dubbo://10.%d.%d.%d:20880/com.foo.Svc?anyhost=true&application=demo-provider"+
		"&deprecated=false&dubbo=2.0.2&dynamic=true&generic=false&interface=com.foo.Svc&methods=sayHello,sayHelloAsync"+
		"&pid=%d&release=2.7.23&side=provider&timestamp=%d", i>>16&255, i>>8&255, i&255, 10000+i%50000, 1795290108925+int64(i))).Encoded()
}
