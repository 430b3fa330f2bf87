package common

import (
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestParam(t *testing.T) {
	u := MustParse("dubbo://h/p?a=1&empty=&b=x y&中=文")
	tests := []struct {
		key   string
		value string
		ok    bool
	}{
		{"a", "1", true},
		{"b", "x y", true},
		{"empty", "", true},
		{"中", "文", true},
		{"missing", "", false},
		{"", "", false},
		{"A", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			v, ok := u.Param(tt.key)
			require.Equal(t, tt.value, v)
			require.Equal(t, tt.ok, ok)
			require.Equal(t, tt.value != "", u.Has(tt.key))
			want := tt.value
			if want == "" {
				want = "def"
			}
			require.Equal(t, want, u.ParamOr(tt.key, "def"))
		})
	}
}

func TestParamLookupManyKeys(t *testing.T) {
	m := map[string]string{}
	for i := range 500 {
		m["key"+strconv.Itoa(i)] = strconv.Itoa(i)
	}
	m["\U0001F600"] = "astral"
	m["\uFFFD"] = "bmp"
	u := NewURL("dubbo", "h", 0, "", m)
	for k, want := range m {
		v, ok := u.Param(k)
		require.True(t, ok, k)
		require.Equal(t, want, v)
	}
	_, ok := u.Param("key500")
	require.False(t, ok)
}

func TestRawParam(t *testing.T) {
	u := MustParse("dubbo://admin:pw@10.0.0.1:20880/org.a.Svc?a=1&host=param-host&path=param-path")
	tests := []struct{ key, want string }{
		{"protocol", "dubbo"},
		{"username", "admin"},
		{"password", "pw"},
		{"host", "10.0.0.1"},
		{"port", "20880"},
		{"path", "org.a.Svc"},
		{"a", "1"},
		{"missing", ""},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			require.Equal(t, tt.want, u.RawParam(tt.key))
		})
	}
	require.Equal(t, "0", MustParse("dubbo://h").RawParam("port"))
}

func TestParamsIsACopy(t *testing.T) {
	u := MustParse("dubbo://h/p?a=1&b=2")
	m := u.Params()
	require.Equal(t, map[string]string{"a": "1", "b": "2"}, m)
	m["a"] = "changed"
	m["c"] = "3"
	require.Equal(t, "dubbo://h/p?a=1&b=2", u.String())
	require.Equal(t, map[string]string{}, MustParse("dubbo://h").Params())
}

func TestRangeParams(t *testing.T) {
	u := MustParse("dubbo://h/p?c=3&a=1&b=2&B=0")
	var keys []string
	u.RangeParams(func(k, v string) bool {
		keys = append(keys, k+"="+v)
		return true
	})
	require.Equal(t, []string{"B=0", "a=1", "b=2", "c=3"}, keys)
	require.Equal(t, 4, u.NumParams())

	keys = nil
	u.RangeParams(func(k, v string) bool {
		keys = append(keys, k)
		return k != "a"
	})
	require.Equal(t, []string{"B", "a"}, keys, "stops when fn returns false")
}

func TestParamBool(t *testing.T) {
	u := MustParse("dubbo://h?t=true&T=TRUE&m=True&f=false&y=yes&one=1&empty=")
	tests := []struct {
		key  string
		def  bool
		want bool
	}{
		{"t", false, true},
		{"T", false, true},
		{"m", false, true},
		{"f", true, false},
		{"y", true, false},
		{"one", true, false},
		{"empty", true, true},
		{"empty", false, false},
		{"missing", true, true},
		{"missing", false, false},
	}
	for _, tt := range tests {
		t.Run(tt.key+"/"+strconv.FormatBool(tt.def), func(t *testing.T) {
			require.Equal(t, tt.want, u.ParamBool(tt.key, tt.def))
		})
	}
}

func TestParamInt(t *testing.T) {
	u := MustParse("dubbo://h?n=42&neg=-7&plus=+5&zero=0&bad=4x&big=99999999999999999999&empty=&f=1.5")
	tests := []struct {
		key     string
		want    int
		wantErr error
	}{
		{"n", 42, nil},
		{"neg", -7, nil},
		{"plus", 5, nil},
		{"zero", 0, nil},
		{"empty", 10, nil},
		{"missing", 10, nil},
		{"bad", 10, strconv.ErrSyntax},
		{"f", 10, strconv.ErrSyntax},
		{"big", 10, strconv.ErrRange},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			n, err := u.ParamInt(tt.key, 10)
			require.Equal(t, tt.want, n)
			n64, err64 := u.ParamInt64(tt.key, 10)
			require.Equal(t, int64(tt.want), n64)
			if tt.wantErr == nil {
				require.NoError(t, err)
				require.NoError(t, err64)
				return
			}
			require.ErrorIs(t, err, tt.wantErr)
			require.ErrorIs(t, err64, tt.wantErr)
			v, _ := u.Param(tt.key)
			require.ErrorContains(t, err, "param "+tt.key+": invalid integer "+strconv.Quote(v))
		})
	}
	n, err := MustParse("dubbo://h?big=9223372036854775807").ParamInt64("big", 0)
	require.NoError(t, err)
	require.Equal(t, int64(9223372036854775807), n)
}

func TestParamFloat(t *testing.T) {
	u := MustParse("dubbo://h?f=1.5&e=1e3&i=7&bad=x&empty=")
	tests := []struct {
		key  string
		want float64
		err  bool
	}{
		{"f", 1.5, false},
		{"e", 1000, false},
		{"i", 7, false},
		{"empty", 0.25, false},
		{"missing", 0.25, false},
		{"bad", 0.25, true},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			f, err := u.ParamFloat(tt.key, 0.25)
			require.Equal(t, tt.want, f)
			if tt.err {
				require.ErrorContains(t, err, `param bad: invalid number "x"`)
			} else {
				require.NoError(t, err)
			}
		})
	}
}

func TestParamDuration(t *testing.T) {
	u := MustParse("dubbo://h?sign=-&ms=3000&go=3s&mix=1m30s&zero=0&neg=-5&sub=1.5s&bad=3 seconds&unit=3000ms&huge=9223372036854775807&empty=")
	tests := []struct {
		key  string
		want time.Duration
		err  string
	}{
		{"ms", 3 * time.Second, ""},
		{"go", 3 * time.Second, ""},
		{"mix", 90 * time.Second, ""},
		{"zero", 0, ""},
		{"neg", -5 * time.Millisecond, ""},
		{"sub", 1500 * time.Millisecond, ""},
		{"unit", 3 * time.Second, ""},
		{"empty", DefaultTimeout, ""},
		{"missing", DefaultTimeout, ""},
		{"bad", DefaultTimeout, `param bad: invalid duration "3 seconds"`},
		{"sign", DefaultTimeout, `param sign: invalid duration "-"`},
		{"huge", DefaultTimeout, `param huge: invalid duration "9223372036854775807"`},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			d, err := u.ParamDuration(tt.key, DefaultTimeout)
			require.Equal(t, tt.want, d)
			if tt.err == "" {
				require.NoError(t, err)
			} else {
				require.ErrorContains(t, err, tt.err)
			}
		})
	}
	_, err := u.ParamDuration("huge", 0)
	require.True(t, errors.Is(err, strconv.ErrRange))
}

func TestParamList(t *testing.T) {
	tests := []struct {
		value string
		want  []string
	}{
		{"", nil},
		{"a", []string{"a"}},
		{"a,b,c", []string{"a", "b", "c"}},
		{"a , b,\tc", []string{"a", "b", "c"}},
		{"a,,b", []string{"a", "b"}},
		{"a , , b", []string{"a", "", "b"}},
		{",a", []string{"", "a"}},
		{"a,", []string{"a"}},
		{"a,,, ,", []string{"a"}},
		{",", nil},
		{" , ", nil},
		{"a b, c d", []string{"a b", "c d"}},
		{" a ", []string{"a"}}, // values are trimmed on parse
	}
	for _, tt := range tests {
		t.Run(tt.value, func(t *testing.T) {
			u := NewURL("dubbo", "h", 0, "", map[string]string{"k": tt.value})
			require.Equal(t, tt.want, u.ParamList("k"))
		})
	}
	require.Nil(t, MustParse("dubbo://h").ParamList("k"))
}

func TestSplitListOtherSeparators(t *testing.T) {
	isBar := func(c byte) bool { return c == '|' || c == ';' }
	require.Equal(t, []string{"a", "b", "c"}, splitList("a | b;;c", isBar))
	require.Equal(t, []string{"", "a"}, splitList("|a", isBar))
	require.Equal(t, []string{"a  b"}, splitList("a  b", isBar))
}

func TestListContains(t *testing.T) {
	require.True(t, listContains("a,b , c", "b"))
	require.True(t, listContains("a,b , c", "c"))
	require.False(t, listContains("a,b , c", "b "))
	require.False(t, listContains("ab", "a"))
	require.False(t, listContains("", "a"))
}

func TestLookupsDoNotAllocate(t *testing.T) {
	u := MustParse("dubbo://127.0.0.1:20880/org.a.Svc?interface=org.a.Svc&timeout=1000&retries=2&weight=200" +
		"&methods=sayHello,aMethodWithAVeryLongNameIndeed&sayHello.timeout=3000&aMethodWithAVeryLongNameIndeed.loadbalance=roundrobin" +
		"&warmup=600000&sticky=true")
	tests := []struct {
		name string
		f    func()
	}{
		{"Param", func() { _, _ = u.Param("timeout") }},
		{"Param absent", func() { _, _ = u.Param("absent") }},
		{"ParamOr", func() { _ = u.ParamOr("absent", "x") }},
		{"Has", func() { _ = u.Has("weight") }},
		{"ParamInt", func() { _, _ = u.ParamInt("weight", 100) }},
		{"ParamInt64", func() { _, _ = u.ParamInt64("timeout", 1) }},
		{"ParamBool", func() { _ = u.ParamBool("sticky", false) }},
		{"ParamFloat", func() { _, _ = u.ParamFloat("weight", 1) }},
		{"ParamDuration ms", func() { _, _ = u.ParamDuration("warmup", 0) }},
		{"MethodParam", func() { _, _ = u.MethodParam("sayHello", "timeout") }},
		{"MethodParam long name", func() {
			_, _ = u.MethodParam("aMethodWithAVeryLongNameIndeed", "loadbalance")
		}},
		{"MethodParam fallback", func() { _, _ = u.MethodParam("sayBye", "retries") }},
		{"MethodParamInt", func() { _, _ = u.MethodParamInt("sayHello", "timeout", 0) }},
		{"MethodParamDuration", func() { _, _ = u.MethodParamDuration("sayHello", "timeout", 0) }},
		{"ServiceInterface", func() { _ = u.ServiceInterface() }},
		{"Group", func() { _ = u.Group() }},
		{"Category", func() { _ = u.Category() }},
		{"Equal", func() { _ = u.Equal(u.clone()) }},
		{"Hash", func() { _ = u.Hash() }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.name == "Equal" {
				// clone allocates; compare against a prepared copy instead.
				c := u.clone()
				tt.f = func() { _ = u.Equal(c) }
			}
			require.Zero(t, testing.AllocsPerRun(100, tt.f))
		})
	}
}

func BenchmarkParam(b *testing.B) {
	u := MustParse("dubbo://127.0.0.1:20880/org.apache.dubbo.sample.UserService?anyhost=true&application=interop-java-provider&deprecated=false&dubbo=2.0.2&dynamic=true&generic=false&group=g1&interface=org.apache.dubbo.sample.UserService&logger=jdk&methods=add,whoami,half,echoBytes,ping,getUser,count,save,echo,sleep,listUsers,addLong,flip&pid=16305&release=2.7.23&revision=demo&serialization=hessian2&server=loopback&service.name=ServiceBean:g1/org.apache.dubbo.sample.UserService:1.0.0&side=provider&timestamp=1795290132824&version=1.0.0&warmup=0&weight=200")
	b.Run("Param", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_, _ = u.Param("weight")
		}
	})
	b.Run("ParamInt", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_, _ = u.ParamInt("weight", DefaultWeight)
		}
	})
	b.Run("ServiceInterface", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_ = u.ServiceInterface()
		}
	})
}
