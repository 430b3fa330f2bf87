package common

import (
	"errors"
	"fmt"
	"testing"
	"unicode/utf16"
	"unicode/utf8"
)

// fuzzSeeds are the spec's examples, edge cases found while writing the
// parser, and (added by seedZK) the URLs Java Dubbo wrote to ZooKeeper.
var fuzzSeeds = []string{
	"dubbo://admin:hello1234@10.20.130.230:20880/context/path?version=1.0.0&application=morgan",
	"dubbo://ad@min:hello@1234@10.20.130.230:20880/context/path?version=1.0.0&application=morgan",
	"context/path?version=1.0.0&application=morgan",
	"10.20.130.230:20880",
	"file:///d:/x",
	"file:/x",
	"file://home/x",
	"dubbo:192.168.1.1",
	"dubbo://2001:db8::1/org.a.Svc",
	"dubbo://[::1]:20880/org.a.Svc",
	"dubbo://[::1]:0/org.a.Svc",
	"dubbo://fe80::1%en0/org.a.Svc",
	"dubbo://[fe80::1%en0]:20880/org.a.Svc",
	"dubbo://h/p?default.timeout=5000&timeout=3000&default.x",
	"dubbo://h/p?a=b=c&noValue;c=d",
	"dubbo://h:20880/p#frag?x=1#y",
	"dubbo://h/p?x=1#frag&y=#",
	"dubbo://:20880/p",
	"dubbo://:pw@h",
	"dubbo://h:/p",
	"h::0/p",
	"a:b:0",
	"dubbo:// h /p #x",
	"dubbo://h/p ?",
	"?a",
	"?",
	"://host",
	"zookeeper://10.20.30.40/Svc?a=b&refer=foo%3Dbar%26interface%3DSvc%26register.ip%3D10.20.30.40",
	"empty://0.0.0.0/a.b.Foo?category=providers&group=g&version=1.0.0",
	"dubbo://h/服务?名=值&\U00010000=\uffff",
}

var fuzzEncodedSeeds = []string{
	"dubbo%3A%2F%2F10.0.0.1%3A20880%2Forg.a.Svc%3Fa%3D1%26b%3Dx+y",
	"dubbo%3a%2f%2f10.0.0.1%3a20880%2forg.a.Svc%3fa%3d1",
	"%", "%4", "%zz", "%C3%28", "+", "%3F%3F",
	"zookeeper%3A%2F%2Fh%2Fr%3Frefer%3Dinterface%253DSvc%2526side%253Dconsumer",
}

func seedZK(f *testing.F) (decoded, encoded []string) {
	for _, c := range loadZKCaptures(f) {
		decoded = append(decoded, c.decoded...)
		encoded = append(encoded, c.names...)
	}
	return decoded, encoded
}

// FuzzParseRoundTrip checks that every URL Parse accepts renders to a
// canonical text that reads back Equal and renders identically, in both the
// decoded and the encoded form.
func FuzzParseRoundTrip(f *testing.F) {
	decoded, _ := seedZK(f)
	for _, s := range append(fuzzSeeds, decoded...) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		u, err := Parse(s)
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("Parse(%q) error %v is not a *ParseError", s, err)
			}
			return
		}
		checkRoundTrip(t, u)
	})
}

// FuzzParseEncoded checks that ParseEncoded never panics, fails only with a
// *ParseError, and that what it accepts round-trips like Parse's results.
func FuzzParseEncoded(f *testing.F) {
	_, encoded := seedZK(f)
	for _, s := range append(fuzzEncodedSeeds, encoded...) {
		f.Add(s)
	}
	for _, s := range fuzzSeeds {
		f.Add(Encode(s))
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, derr := Decode(s)
		u, err := ParseEncoded(s)
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("ParseEncoded(%q) error %v is not a *ParseError", s, err)
			}
			if derr == nil {
				if _, perr := Parse(d); perr == nil {
					t.Fatalf("ParseEncoded(%q) failed (%v) but Parse(Decode(s)) did not", s, err)
				}
			}
			return
		}
		if derr != nil {
			t.Fatalf("ParseEncoded(%q) succeeded but Decode failed: %v", s, derr)
		}
		if Encode(d) != s {
			// s may use lower-case hex or leave characters unescaped;
			// decoding the canonical encoding gives the same text.
			if d2, err := Decode(Encode(d)); err != nil || d2 != d {
				t.Fatalf("Decode(Encode(%q)) = %q, %v", d, d2, err)
			}
		}
		checkRoundTrip(t, u)
	})
}

func checkRoundTrip(t *testing.T, u *URL) {
	t.Helper()
	full := u.FullString()
	v, err := Parse(full)
	if err != nil {
		t.Fatalf("Parse(FullString) of %s: %v", dump(u), err)
	}
	if !u.Equal(v) {
		t.Fatalf("FullString %q reads back as a different URL:\n got %s\nwant %s", full, dump(v), dump(u))
	}
	if got := v.FullString(); got != full {
		t.Fatalf("FullString changes on reparse: %q then %q", full, got)
	}
	if u.Hash() != v.Hash() {
		t.Fatalf("equal URLs hash differently: %q", full)
	}
	enc := u.Encoded()
	if enc != Encode(full) {
		t.Fatalf("Encoded() = %q, Encode(FullString()) = %q", enc, Encode(full))
	}
	w, err := ParseEncoded(enc)
	if err != nil {
		t.Fatalf("ParseEncoded(Encode(%q)): %v", full, err)
	}
	if !w.Equal(v) {
		t.Fatalf("ParseEncoded(Encode(s)) differs from Parse(s) for %q:\n got %s\nwant %s", full, dump(w), dump(v))
	}
	// String leaves out the user info; what is left reads back the same.
	if s := u.String(); s != "" {
		x, err := Parse(s)
		if err != nil {
			t.Fatalf("Parse(String) of %q: %v", s, err)
		}
		if !x.Equal(u.WithUserInfo("", "")) {
			t.Fatalf("String %q reads back as a different URL: %s", s, dump(x))
		}
	}
	// IdentityString leaves out the parameters.
	if s := u.IdentityString(); s != "" {
		x, err := Parse(s)
		if err != nil {
			t.Fatalf("Parse(IdentityString) of %q: %v", s, err)
		}
		if !x.Equal(u.ReplaceParams(nil)) {
			t.Fatalf("IdentityString %q reads back as a different URL: %s", s, dump(x))
		}
	}
	// Lookups find every parameter.
	u.RangeParams(func(k, val string) bool {
		if got, ok := u.Param(k); !ok || got != val {
			t.Fatalf("Param(%q) = %q, %v; want %q", k, got, ok, val)
		}
		return true
	})
}

// dump shows every part of u, for failure messages.
func dump(u *URL) string {
	return fmt.Sprintf("{protocol %q username %q password %q host %q port %d path %q params %q}",
		u.protocol, u.Username(), u.Password(), u.host, u.port, u.path, u.kvs(0))
}

// FuzzCompareKeys checks compareKeys against Java's rule computed the slow
// way, and that it is a total order consistent with string equality.
func FuzzCompareKeys(f *testing.F) {
	f.Add("a", "b")
	f.Add("\uffff", "\U00010000")
	f.Add("\xe4\xb8", "\xe4\xb8\xad")
	f.Add("x\xe4A", "x\xe4\xb8\xad")
	f.Add("", "\x00")
	f.Fuzz(func(t *testing.T, a, b string) {
		c := compareKeys(a, b)
		if (c == 0) != (a == b) {
			t.Fatalf("compareKeys(%q, %q) = %d", a, b, c)
		}
		if r := compareKeys(b, a); r != -c {
			t.Fatalf("compareKeys(%q, %q) = %d but reversed %d", a, b, c, r)
		}
		if utf8.ValidString(a) && utf8.ValidString(b) {
			if want := compareUTF16(a, b); c != want {
				t.Fatalf("compareKeys(%q, %q) = %d, Java order says %d", a, b, c, want)
			}
		}
		// Splitting the needle as MethodParam does changes nothing.
		if m, k, ok := cutDot(b); ok && utf8.ValidString(m) {
			if got := compareJoined(a, m, k); got != c {
				t.Fatalf("compareJoined(%q, %q, %q) = %d, compareKeys = %d", a, m, k, got, c)
			}
		}
	})
}

func cutDot(s string) (before, after string, ok bool) {
	for i := 0; i < len(s); i++ {
		if s[i] == '.' {
			return s[:i], s[i+1:], true
		}
	}
	return "", "", false
}

// compareUTF16 is Java's String.compareTo for valid UTF-8, the slow way.
func compareUTF16(a, b string) int {
	ua, ub := utf16.Encode([]rune(a)), utf16.Encode([]rune(b))
	for i := 0; i < len(ua) && i < len(ub); i++ {
		if ua[i] != ub[i] {
			if ua[i] < ub[i] {
				return -1
			}
			return 1
		}
	}
	switch {
	case len(ua) < len(ub):
		return -1
	case len(ua) > len(ub):
		return 1
	}
	return 0
}
