package common

import (
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestMethodParam(t *testing.T) {
	tests := []struct {
		name        string
		url         string
		method, key string
		want        string
		ok          bool
		strict      string
		strictOK    bool
	}{
		{
			name: "spec: method value", url: "dubbo://h/S?timeout=1000&sayHello.timeout=3000",
			method: "sayHello", key: "timeout", want: "3000", ok: true, strict: "3000", strictOK: true,
		},
		{
			name: "spec: fallback", url: "dubbo://h/S?timeout=1000&sayHello.timeout=3000",
			method: "sayBye", key: "timeout", want: "1000", ok: true,
		},
		{
			name: "neither", url: "dubbo://h/S?sayHello.timeout=3000",
			method: "sayBye", key: "timeout",
		},
		{
			name: "empty method value falls back", url: "dubbo://h/S?timeout=1000&sayHello.timeout=",
			method: "sayHello", key: "timeout", want: "1000", ok: true, strict: "", strictOK: true,
		},
		{
			name: "key with dots", url: "dubbo://h/S?sayHello.hash.arguments=0,1",
			method: "sayHello", key: "hash.arguments", want: "0,1", ok: true, strict: "0,1", strictOK: true,
		},
		{
			name: "without methods, a method name has no dot", url: "dubbo://h/S?a.b.c=1&c=0",
			method: "a.b", key: "c", want: "0", ok: true,
		},
		{
			name: "without methods, default is a method", url: "dubbo://h/S?default.timeout=5000",
			method: "default", key: "timeout", want: "5000", ok: true, strict: "5000", strictOK: true,
		},
		{
			name: "methods list: listed method", url: "dubbo://h/S?methods=sayHello,sayBye&sayHello.timeout=3000&timeout=1",
			method: "sayHello", key: "timeout", want: "3000", ok: true, strict: "3000", strictOK: true,
		},
		{
			name: "methods list: unlisted method does not count", url: "dubbo://h/S?methods=sayBye&sayHello.timeout=3000&timeout=1",
			method: "sayHello", key: "timeout", want: "1", ok: true,
		},
		{
			name: "methods list: a listed name may contain a dot", url: "dubbo://h/S?methods=a.b&a.b.c=1",
			method: "a.b", key: "c", want: "1", ok: true, strict: "1", strictOK: true,
		},
		{
			name: "methods list: items are not trimmed", url: "dubbo://h/S?methods=a, b&b.t=1",
			method: "b", key: "t",
		},
		{
			name: "empty method", url: "dubbo://h/S?.t=1&t=2",
			method: "", key: "t", want: "2", ok: true,
		},
		{
			name: "non-ASCII method", url: "dubbo://h/S?名.t=1&t=2&\U0001F600.t=3",
			method: "名", key: "t", want: "1", ok: true, strict: "1", strictOK: true,
		},
		{
			name: "astral method", url: "dubbo://h/S?名.t=1&t=2&\U0001F600.t=3&\uffff.t=4",
			method: "\U0001F600", key: "t", want: "3", ok: true, strict: "3", strictOK: true,
		},
		{
			name: "method name that is a prefix of another", url: "dubbo://h/S?say.t=1&sayHello.t=2",
			method: "say", key: "t", want: "1", ok: true, strict: "1", strictOK: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := MustParse(tt.url)
			v, ok := u.MethodParam(tt.method, tt.key)
			require.Equal(t, tt.want, v)
			require.Equal(t, tt.ok, ok)
			v, ok = u.MethodParamStrict(tt.method, tt.key)
			require.Equal(t, tt.strict, v)
			require.Equal(t, tt.strictOK, ok)
			want := tt.want
			if want == "" {
				want = "def"
			}
			require.Equal(t, want, u.MethodParamOr(tt.method, tt.key, "def"))
		})
	}
}

func TestMethodParamInvalidUTF8Method(t *testing.T) {
	u := NewURL("dubbo", "h", 0, "S", map[string]string{"\xff.t": "1", "t": "2"})
	v, ok := u.MethodParam("\xff", "t")
	require.True(t, ok)
	require.Equal(t, "1", v)
}

func TestMethodParamTyped(t *testing.T) {
	u := MustParse("dubbo://h/S?timeout=1000&retries=2&sticky=false" +
		"&sayHello.timeout=3s&sayHello.retries=0&sayHello.sticky=true&bad.retries=x&bad.timeout=soon&big.weight=9223372036854775807")

	b := u.MethodParamBool("sayHello", "sticky", false)
	require.True(t, b)
	require.False(t, u.MethodParamBool("sayBye", "sticky", true))
	require.True(t, u.MethodParamBool("sayBye", "absent", true))

	n, err := u.MethodParamInt("sayHello", "retries", 5)
	require.NoError(t, err)
	require.Equal(t, 0, n)
	n, err = u.MethodParamInt("sayBye", "retries", 5)
	require.NoError(t, err)
	require.Equal(t, 2, n)
	n, err = u.MethodParamInt("sayBye", "absent", 5)
	require.NoError(t, err)
	require.Equal(t, 5, n)
	n, err = u.MethodParamInt("bad", "retries", 5)
	require.Equal(t, 5, n)
	require.EqualError(t, err, `param bad.retries: invalid integer "x": invalid syntax`)

	n64, err := u.MethodParamInt64("big", "weight", 1)
	require.NoError(t, err)
	require.Equal(t, int64(9223372036854775807), n64)
	_, err = u.MethodParamInt64("bad", "retries", 1)
	require.ErrorIs(t, err, strconv.ErrSyntax)

	d, err := u.MethodParamDuration("sayHello", "timeout", 0)
	require.NoError(t, err)
	require.Equal(t, 3*time.Second, d)
	d, err = u.MethodParamDuration("sayBye", "timeout", 0)
	require.NoError(t, err)
	require.Equal(t, time.Second, d)
	d, err = u.MethodParamDuration("bad", "timeout", time.Minute)
	require.Equal(t, time.Minute, d)
	require.ErrorContains(t, err, `param bad.timeout: invalid duration "soon"`)

	// A malformed URL-level value is named by its own key.
	_, err = MustParse("dubbo://h/S?retries=x").MethodParamInt("m", "retries", 0)
	require.EqualError(t, err, `param retries: invalid integer "x": invalid syntax`)
}

func TestMethods(t *testing.T) {
	tests := []struct {
		name string
		url  string
		want []string
	}{
		{"none", "dubbo://h/S?timeout=1", nil},
		{"first dot splits", "dubbo://h/S?sayHello.timeout=1&sayHello.retries=2&default.timeout=3&reference.filter=x&a.b.c=1",
			[]string{"a", "default", "reference", "sayHello"}},
		{"leading dot is not a method", "dubbo://h/S?.x=1", nil},
		{"methods list restricts", "dubbo://h/S?methods=sayHello,sayBye,ping&sayHello.timeout=1&sayBye.retries=0&default.timeout=3&other.x=1",
			[]string{"sayBye", "sayHello"}},
		{"methods list, key equal to the method is not a method param", "dubbo://h/S?methods=a&a=1", nil},
		{"methods list with dotted name", "dubbo://h/S?methods=a.b,a&a.b.c=1",
			[]string{"a", "a.b"}},
		{"methods list duplicates", "dubbo://h/S?methods=a,a,,b&a.t=1&b.t=2", []string{"a", "b"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, MustParse(tt.url).Methods())
		})
	}
}

func TestMethodsInvalidUTF8(t *testing.T) {
	u := NewURL("dubbo", "h", 0, "S", map[string]string{"methods": "\xff,\xfe", "\xff.t": "1"})
	require.Equal(t, []string{"\xff"}, u.Methods())
	v, ok := u.MethodParamStrict("\xff", "t")
	require.True(t, ok)
	require.Equal(t, "1", v)
}

func TestCommaListHas(t *testing.T) {
	tests := []struct {
		list, item string
		want       bool
	}{
		{"a", "a", true},
		{"a,b,c", "b", true},
		{"a,b,c", "c", true},
		{"ab,b", "b", true},
		{"ab,bc", "b", false},
		{"say,sayHello", "sayHello", true},
		{"sayHello", "say", false},
		{"a, b", "b", false},
		{",a,", "a", true},
		{"", "a", false},
		{"aaa", "aa", false},
	}
	for _, tt := range tests {
		t.Run(tt.list+"~"+tt.item, func(t *testing.T) {
			require.Equal(t, tt.want, commaListHas(tt.list, tt.item))
		})
	}
}

func TestMethodsOfZooKeeperCapture(t *testing.T) {
	// Java writes methods=...; no method parameters were configured.
	for _, c := range loadZKCaptures(t) {
		for _, s := range c.decoded {
			require.Nil(t, MustParse(s).Methods(), s)
		}
	}
}

func BenchmarkMethodParam(b *testing.B) {
	u := MustParse("dubbo://127.0.0.1:20880/org.apache.dubbo.sample.UserService?anyhost=true&application=interop-java-provider&dubbo=2.0.2&interface=org.apache.dubbo.sample.UserService&methods=add,whoami,half,echoBytes,ping,getUser,count,save,echo,sleep,listUsers,addLong,flip&getUser.timeout=3000&listUsers.timeout=10000&side=provider&timeout=1000&timestamp=1795290132824&weight=200")
	b.Run("method value", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_, _ = u.MethodParam("getUser", "timeout")
		}
	})
	b.Run("fallback", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_, _ = u.MethodParam("echo", "timeout")
		}
	})
	b.Run("duration", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_, _ = u.MethodParamDuration("listUsers", "timeout", DefaultTimeout)
		}
	})
}
