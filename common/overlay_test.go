package common

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/stretchr/testify/require"
)

// requireSameURL requires got to be want in every respect a caller can see.
func requireSameURL(t *testing.T, want, got *URL, msg string) {
	t.Helper()
	require.True(t, want.Equal(got), "%s: %s != %s", msg, want.FullString(), got.FullString())
	require.Equal(t, want.FullString(), got.FullString(), msg)
	require.Equal(t, want.String(), got.String(), msg)
	require.Equal(t, want.Hash(), got.Hash(), msg)
	require.Equal(t, want.Params(), got.Params(), msg)
	require.Equal(t, want.NumParams(), got.NumParams(), msg)
	require.Equal(t, want.Methods(), got.Methods(), msg)
	var wk, gk []string
	want.RangeParams(func(k, v string) bool { wk = append(wk, k+"="+v); return true })
	got.RangeParams(func(k, v string) bool { gk = append(gk, k+"="+v); return true })
	require.Equal(t, wk, gk, "%s: params in order", msg)
	for k := range want.Params() {
		wv, wok := want.Param(k)
		gv, gok := got.Param(k)
		require.Equal(t, wok, gok, "%s: has %s", msg, k)
		require.Equal(t, wv, gv, "%s: %s", msg, k)
	}
	for _, m := range []string{"sayHello", "b", "é", "x"} {
		for _, k := range []string{"timeout", "retries", "k1"} {
			wv, wok := want.MethodParam(m, k)
			gv, gok := got.MethodParam(m, k)
			require.Equal(t, [2]any{wv, wok}, [2]any{gv, gok}, "%s: method %s key %s", msg, m, k)
		}
	}
	back, err := Parse(got.FullString())
	require.NoError(t, err, msg)
	require.Equal(t, want.FullString(), back.FullString(), msg)
}

// overlayKeys are keys in Java String order around one another: ASCII,
// method keys, keys past U+FFFF and in the surrogate range's neighbourhood.
var overlayKeys = []string{
	"a", "b", "application", "check", "group", "interface", "k1", "methods", "remote.application",
	"sayHello.timeout", "side", "timeout", "retries", "version", "x.k1", "é", "é.timeout", "\U0001F600", "\uFFFD", "z",
}

func randomParams(rnd *rand.Rand, n int) map[string]string {
	m := map[string]string{}
	for range n {
		k := overlayKeys[rnd.IntN(len(overlayKeys))]
		v := fmt.Sprintf("v%d", rnd.IntN(4))
		switch rnd.IntN(12) {
		case 0:
			v = ""
		case 1:
			v = " padded "
		case 2:
			v = "sayHello,b"
		}
		m[k] = v
	}
	return m
}

// TestWithOverlayEqualsWithParams lays random overlays over random URLs,
// also over URLs that already carry an overlay (the same or another) and
// URLs derived from overlaid ones, and requires every result to be the URL
// WithoutParams(drop...).WithParams(params) gives.
func TestWithOverlayEqualsWithParams(t *testing.T) {
	rnd := rand.New(rand.NewPCG(17, 1))
	for i := range 2000 {
		base := NewURL("dubbo", "10.0.0.1", 20880, "org.a.Svc", randomParams(rnd, rnd.IntN(10)))
		if i%3 == 0 {
			parsed, err := Parse(base.FullString())
			require.NoError(t, err)
			base = parsed
		}
		params := randomParams(rnd, rnd.IntN(8))
		var drop []string
		for range rnd.IntN(3) {
			drop = append(drop, overlayKeys[rnd.IntN(len(overlayKeys))])
		}
		o := NewOverlay(params)
		msg := fmt.Sprintf("case %d: %s over %s without %v", i, o.text, base.FullString(), drop)
		want := base.WithoutParams(drop...).WithParams(params)
		got := base.WithOverlay(o, drop...)
		requireSameURL(t, want, got, msg)

		// Again, with the same overlay and another one.
		requireSameURL(t, want, got.WithOverlay(o), msg+" (same overlay twice)")
		more := randomParams(rnd, rnd.IntN(5))
		requireSameURL(t, want.WithParams(more), got.WithOverlay(NewOverlay(more)), msg+" (another overlay)")
		// The builders on an overlaid URL.
		requireSameURL(t, want.WithParam("k1", "w"), got.WithParam("k1", "w"), msg+" (WithParam)")
		requireSameURL(t, want.WithoutParams("a", "check"), got.WithoutParams("a", "check"), msg+" (WithoutParams)")
		requireSameURL(t, want.WithParamsIfAbsent(more), got.WithParamsIfAbsent(more), msg+" (WithParamsIfAbsent)")
		requireSameURL(t, want.KeepParams([]string{"a", "check"}, "x."), got.KeepParams([]string{"a", "check"}, "x."), msg+" (KeepParams)")
		requireSameURL(t, want.WithPath("other"), got.WithPath("other"), msg+" (WithPath)")
	}
}

func TestWithOverlay(t *testing.T) {
	u := MustParse("dubbo://10.0.0.1:20880/org.a.Svc?application=p&threads=200&timeout=1000&side=provider")
	t.Run("nothing to change returns u", func(t *testing.T) {
		require.Same(t, u, u.WithOverlay(NewOverlay(map[string]string{"timeout": "1000"})))
		require.Same(t, u, u.WithOverlay(nil))
		require.Same(t, u, u.WithOverlay(NewOverlay(nil), "absent"))
		require.Same(t, u, u.WithOverlay(nil, "absent"))
	})
	t.Run("overlay wins, drops go, empty values are skipped", func(t *testing.T) {
		o := NewOverlay(map[string]string{"side": "consumer", "check": " false ", "empty": " ", "": "x"})
		require.Equal(t, 2, o.Len())
		got := u.WithOverlay(o, "threads")
		require.Equal(t, "dubbo://10.0.0.1:20880/org.a.Svc?application=p&check=false&side=consumer&timeout=1000", got.FullString())
	})
	t.Run("dropping everything", func(t *testing.T) {
		got := u.WithOverlay(nil, "application", "threads", "timeout", "side")
		require.Equal(t, "dubbo://10.0.0.1:20880/org.a.Svc", got.FullString())
		require.Equal(t, 0, got.NumParams())
	})
	t.Run("the provider's text and the overlay's are shared", func(t *testing.T) {
		o := NewOverlay(map[string]string{"side": "consumer", "check": "false"})
		got := u.WithOverlay(o)
		require.Equal(t, u.text, got.text)
		require.Equal(t, &u.params[0], &got.params[0])
		require.Same(t, o, got.shared)
		require.Len(t, got.sel, 5)
	})
	t.Run("more than 127 parameters are packed", func(t *testing.T) {
		many := map[string]string{}
		for i := range 130 {
			many[fmt.Sprintf("k%03d", i)] = "v"
		}
		big := NewURL("dubbo", "h", 1, "S", many)
		o := NewOverlay(map[string]string{"side": "consumer"})
		got := big.WithOverlay(o, "k000")
		require.Empty(t, got.sel)
		requireSameURL(t, big.WithoutParams("k000").WithParams(map[string]string{"side": "consumer"}), got, "packed")
		gotO := u.WithOverlay(NewOverlay(many))
		require.Empty(t, gotO.sel)
		requireSameURL(t, u.WithParams(many), gotO, "packed overlay")
	})
}

// TestWithOverlayHeap: a URL built by WithOverlay holds a parameter index
// only, far less than a URL packed anew.
func TestWithOverlayHeap(t *testing.T) {
	const n = 2000
	params := map[string]string{"application": "c", "check": "false", "side": "consumer", "timeout": "3000",
		"remote.application": "p", "register.ip": "10.255.0.9", "retries": "2", "sticky": "false"}
	o := NewOverlay(params)
	bases := make([]*URL, n)
	for i := range bases {
		bases[i] = MustParse(fmt.Sprintf("dubbo://10.0.%d.%d:20880/org.a.Svc?anyhost=true&application=p&deprecated=false"+
			"&dubbo=2.0.2&dynamic=true&generic=false&interface=org.a.Svc&methods=a,b&pid=%d&release=2.7.23&side=provider"+
			"&timestamp=%d", i/256, i%256, 1000+i, 1700000000000+i))
	}
	var keep [][]*URL // every result stays live: a freed one would offset the next measure
	measure := func(build func(*URL) *URL) float64 {
		out := make([]*URL, n)
		var m0, m1 runtime.MemStats
		runtime.GC()
		runtime.GC()
		runtime.ReadMemStats(&m0)
		for i, b := range bases {
			out[i] = build(b)
		}
		runtime.GC()
		runtime.GC()
		runtime.ReadMemStats(&m1)
		require.Len(t, out, n)
		for _, u := range out {
			require.Equal(t, 18, u.NumParams())
		}
		keep = append(keep, out)
		return float64(int64(m1.HeapAlloc)-int64(m0.HeapAlloc)) / n
	}
	shared := measure(func(b *URL) *URL { return b.WithOverlay(o) })
	packed := measure(func(b *URL) *URL { return b.WithParams(params) })
	runtime.KeepAlive(keep)
	runtime.KeepAlive(bases)
	t.Logf("per URL: packed %.0f B, overlaid %.0f B", packed, shared)
	require.Less(t, shared, packed*0.4, "an overlaid URL shares the texts and offsets")
}

func BenchmarkWithOverlay(b *testing.B) {
	u := MustParse("dubbo://10.0.0.1:20880/org.a.Svc?anyhost=true&application=p&deprecated=false&dubbo=2.0.2" +
		"&dynamic=true&generic=false&interface=org.a.Svc&methods=a,b&pid=1&release=2.7.23&side=provider&timestamp=1")
	params := map[string]string{"application": "c", "check": "false", "side": "consumer", "timeout": "3000",
		"remote.application": "p", "register.ip": "10.255.0.9", "retries": "2", "sticky": "false"}
	o := NewOverlay(params)
	b.Run("WithOverlay", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			sinkURL = u.WithOverlay(o, "threads")
		}
	})
	b.Run("WithParams", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			sinkURL = u.WithoutParams("threads").WithParams(params)
		}
	})
	got := u.WithOverlay(o)
	b.Run("Param/overlaid", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			sinkString, _ = got.Param("timeout")
		}
	})
}

var (
	sinkURL    *URL
	sinkString string
)
