package common

import (
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestRendering(t *testing.T) {
	tests := []struct {
		name                string
		in                  string
		str, full, identity string
		address             string
	}{
		{
			name:     "spec example",
			in:       "dubbo://admin:hello1234@10.20.130.230:20880/context/path?version=1.0.0&application=morgan",
			str:      "dubbo://10.20.130.230:20880/context/path?application=morgan&version=1.0.0",
			full:     "dubbo://admin:hello1234@10.20.130.230:20880/context/path?application=morgan&version=1.0.0",
			identity: "dubbo://admin:hello1234@10.20.130.230:20880/context/path",
			address:  "10.20.130.230:20880",
		},
		{
			name:     "user without password",
			in:       "dubbo://admin:@h/p?b=2&a=1",
			str:      "dubbo://h/p?a=1&b=2",
			full:     "dubbo://admin@h/p?a=1&b=2",
			identity: "dubbo://admin@h/p",
			address:  "h",
		},
		{
			name:     "no params, no question mark",
			in:       "dubbo://h:1/p?",
			str:      "dubbo://h:1/p",
			full:     "dubbo://h:1/p",
			identity: "dubbo://h:1/p",
			address:  "h:1",
		},
		{
			name:     "no protocol",
			in:       "10.0.0.1:20880?a=1",
			str:      "10.0.0.1:20880?a=1",
			full:     "10.0.0.1:20880?a=1",
			identity: "10.0.0.1:20880",
			address:  "10.0.0.1:20880",
		},
		{
			name:     "port 0 is not written",
			in:       "dubbo://h:0/p",
			str:      "dubbo://h/p",
			full:     "dubbo://h/p",
			identity: "dubbo://h/p",
			address:  "h",
		},
		{
			name:     "empty path, no slash",
			in:       "dubbo://h:1",
			str:      "dubbo://h:1",
			full:     "dubbo://h:1",
			identity: "dubbo://h:1",
			address:  "h:1",
		},
		{
			name:     "file with empty host",
			in:       "file:/d:/x",
			str:      "file:///d:/x",
			full:     "file:///d:/x",
			identity: "file:///d:/x",
			address:  "",
		},
		{
			name:     "values are written trimmed and unescaped",
			in:       "dubbo://h/p?a= x y &b=c=d&noValue",
			str:      "dubbo://h/p?a=x y&b=c=d&noValue=noValue",
			full:     "dubbo://h/p?a=x y&b=c=d&noValue=noValue",
			identity: "dubbo://h/p",
			address:  "h",
		},
		{
			name:     "upper case sorts before lower case",
			in:       "dubbo://h/p?b=1&a=1&B=1&A.b=1&_=1&0=1",
			str:      "dubbo://h/p?0=1&A.b=1&B=1&_=1&a=1&b=1",
			full:     "dubbo://h/p?0=1&A.b=1&B=1&_=1&a=1&b=1",
			identity: "dubbo://h/p",
			address:  "h",
		},
		// Choices beyond Java (see FullString): these keep the round trip.
		{
			name:     "port without host is written",
			in:       "dubbo://:20880/p",
			str:      "dubbo://:20880/p",
			full:     "dubbo://:20880/p",
			identity: "dubbo://:20880/p",
			address:  ":20880",
		},
		{
			name:     "bracketed IPv6 with port 0 keeps :0",
			in:       "dubbo://[::1]:0/p",
			str:      "dubbo://[::1]:0/p",
			full:     "dubbo://[::1]:0/p",
			identity: "dubbo://[::1]:0/p",
			address:  "[::1]",
		},
		{
			name:     "host ending in a colon keeps :0",
			in:       "dubbo://h:/p",
			str:      "dubbo://h::0/p",
			full:     "dubbo://h::0/p",
			identity: "dubbo://h::0/p",
			address:  "h:",
		},
		{
			name:     "zone id needs no :0",
			in:       "dubbo://fe80::1%en0/p",
			str:      "dubbo://fe80::1%en0/p",
			full:     "dubbo://fe80::1%en0/p",
			identity: "dubbo://fe80::1%en0/p",
			address:  "fe80::1%en0",
		},
		{
			name:     "password without user",
			in:       "dubbo://:pw@h",
			str:      "dubbo://h",
			full:     "dubbo://:pw@h",
			identity: "dubbo://:pw@h",
			address:  "h",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := MustParse(tt.in)
			require.Equal(t, tt.str, u.String())
			require.Equal(t, tt.full, u.FullString())
			require.Equal(t, tt.identity, u.IdentityString())
			require.Equal(t, tt.address, u.Address())
			require.Equal(t, Encode(tt.full), u.Encoded())
			v := MustParse(u.FullString())
			require.True(t, u.Equal(v))
			require.Equal(t, u.FullString(), v.FullString())
		})
	}
}

func TestRenderingJavaOrderBeyondBMP(t *testing.T) {
	// Java compares UTF-16 units: U+10000 (a surrogate pair, D800 DC00)
	// sorts before U+FFFF, though its UTF-8 bytes sort after.
	u := NewURL("dubbo", "h", 0, "p", map[string]string{"\uffff": "1", "\U00010000": "2", "a": "3"})
	require.Equal(t, "dubbo://h/p?a=3&\U00010000=2&\uffff=1", u.String())
}

func TestNewURL(t *testing.T) {
	params := map[string]string{"b": " 2 ", "a": "1", "": "dropped", "e": ""}
	u := NewURL("dubbo", " h ", 20880, "//org.a.Svc", params)
	requireParts(t, parts{"dubbo", "", "", "h", 20880, "org.a.Svc", map[string]string{"a": "1", "b": "2", "e": ""}}, u)
	require.Equal(t, "dubbo://h:20880/org.a.Svc?a=1&b=2&e=", u.String())

	params["a"] = "changed"
	v, _ := u.Param("a")
	require.Equal(t, "1", v, "NewURL copies params")

	require.Equal(t, 0, NewURL("dubbo", "h", -5, "", nil).Port())
	require.Equal(t, 0, NewURL("dubbo", "h", 0, "", nil).NumParams())
	require.Equal(t, "dubbo://h", NewURL("dubbo", "h", 0, "/", nil).String())
}

func TestEqual(t *testing.T) {
	base := MustParse("dubbo://u:p@h:1/p?a=1&timestamp=100")
	tests := []struct {
		name  string
		other *URL
		equal bool
	}{
		{"same text", MustParse("dubbo://u:p@h:1/p?timestamp=100&a=1"), true},
		{"other timestamp", MustParse("dubbo://u:p@h:1/p?a=1&timestamp=200"), true},
		{"empty timestamp", MustParse("dubbo://u:p@h:1/p?a=1&timestamp="), true},
		{"no timestamp", MustParse("dubbo://u:p@h:1/p?a=1"), false},
		{"other value", MustParse("dubbo://u:p@h:1/p?a=2&timestamp=100"), false},
		{"extra key", MustParse("dubbo://u:p@h:1/p?a=1&b=1&timestamp=100"), false},
		{"other protocol", MustParse("rest://u:p@h:1/p?a=1&timestamp=100"), false},
		{"other username", MustParse("dubbo://v:p@h:1/p?a=1&timestamp=100"), false},
		{"other password", MustParse("dubbo://u:q@h:1/p?a=1&timestamp=100"), false},
		{"other host", MustParse("dubbo://u:p@g:1/p?a=1&timestamp=100"), false},
		{"other port", MustParse("dubbo://u:p@h:2/p?a=1&timestamp=100"), false},
		{"other path", MustParse("dubbo://u:p@h:1/q?a=1&timestamp=100"), false},
		{"nil", nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.equal, base.Equal(tt.other))
			if tt.other == nil {
				return
			}
			require.Equal(t, tt.equal, tt.other.Equal(base), "symmetric")
			if tt.equal {
				require.Equal(t, base.Hash(), tt.other.Hash(), "equal URLs hash alike")
			} else {
				require.NotEqual(t, base.Hash(), tt.other.Hash())
			}
		})
	}
	require.True(t, base.Equal(base))
}

func TestHashSeparatesParts(t *testing.T) {
	// Moving text between parts must change the hash.
	a := NewURL("ab", "c", 0, "", nil)
	b := NewURL("a", "bc", 0, "", nil)
	require.NotEqual(t, a.Hash(), b.Hash())
	c := NewURL("", "", 0, "", map[string]string{"ab": "c"})
	d := NewURL("", "", 0, "", map[string]string{"a": "bc"})
	require.NotEqual(t, c.Hash(), d.Hash())
	require.Equal(t, a.Hash(), NewURL("ab", "c", 0, "", nil).Hash(), "stable")
}

func TestAccessors(t *testing.T) {
	u := MustParse("dubbo://admin:pw@10.0.0.1:20880/org.a.Svc?b=2&a=1")
	require.Equal(t, "dubbo", u.Protocol())
	require.Equal(t, "admin", u.Username())
	require.Equal(t, "pw", u.Password())
	require.Equal(t, "10.0.0.1", u.Host())
	require.Equal(t, 20880, u.Port())
	require.Equal(t, "org.a.Svc", u.Path())
	require.Equal(t, "10.0.0.1:20880", u.Address())
	require.Equal(t, 2, u.NumParams())
}

// TestConcurrentUse shares one URL between goroutines that read it and
// derive from it; run with -race.
func TestConcurrentUse(t *testing.T) {
	u := MustParse("dubbo://10.0.0.1:20880/org.a.Svc?timeout=1000&sayHello.timeout=3000&weight=100")
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 200 {
				v := u.WithParam("weight", strconv.Itoa(i*1000+j))
				if got, _ := v.ParamInt("weight", 0); got != i*1000+j {
					t.Errorf("weight %d, want %d", got, i*1000+j)
					return
				}
				if d, _ := u.MethodParamDuration("sayHello", "timeout", 0); d != 3*time.Second {
					t.Errorf("timeout %v", d)
					return
				}
				_ = u.String()
				_ = v.Equal(u)
			}
		}()
	}
	wg.Wait()
	require.Equal(t, "dubbo://10.0.0.1:20880/org.a.Svc?sayHello.timeout=3000&timeout=1000&weight=100", u.String())
}

func BenchmarkString(b *testing.B) {
	u := MustParse("dubbo://127.0.0.1:20880/org.apache.dubbo.sample.UserService?anyhost=true&application=interop-java-provider&deprecated=false&dubbo=2.0.2&dynamic=true&generic=false&group=g1&interface=org.apache.dubbo.sample.UserService&logger=jdk&methods=add,whoami,half,echoBytes,ping,getUser,count,save,echo,sleep,listUsers,addLong,flip&pid=16305&release=2.7.23&revision=demo&serialization=hessian2&server=loopback&service.name=ServiceBean:g1/org.apache.dubbo.sample.UserService:1.0.0&side=provider&timestamp=1795290132824&version=1.0.0&warmup=0&weight=200")
	b.Run("String", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = u.String()
		}
	})
	b.Run("Encoded", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = u.Encoded()
		}
	})
}
