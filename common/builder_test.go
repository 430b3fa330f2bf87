package common

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestBuilders(t *testing.T) {
	const orig = "dubbo://admin:pw@10.0.0.1:20880/org.a.Svc?a=1&b=2&empty=&timeout=1000&x.y=3&x.z=4"
	tests := []struct {
		name string
		f    func(u *URL) *URL
		want string
		same bool // the receiver itself comes back
	}{
		{"WithProtocol", func(u *URL) *URL { return u.WithProtocol("tri") },
			"tri://admin:pw@10.0.0.1:20880/org.a.Svc?a=1&b=2&empty=&timeout=1000&x.y=3&x.z=4", false},
		{"WithProtocol same", func(u *URL) *URL { return u.WithProtocol("dubbo") }, orig, true},
		{"WithUserInfo", func(u *URL) *URL { return u.WithUserInfo("root", "") },
			"dubbo://root@10.0.0.1:20880/org.a.Svc?a=1&b=2&empty=&timeout=1000&x.y=3&x.z=4", false},
		{"WithUserInfo cleared", func(u *URL) *URL { return u.WithUserInfo("", "") },
			"dubbo://10.0.0.1:20880/org.a.Svc?a=1&b=2&empty=&timeout=1000&x.y=3&x.z=4", false},
		{"WithHost", func(u *URL) *URL { return u.WithHost(" 10.0.0.9 ") },
			"dubbo://admin:pw@10.0.0.9:20880/org.a.Svc?a=1&b=2&empty=&timeout=1000&x.y=3&x.z=4", false},
		{"WithHost same", func(u *URL) *URL { return u.WithHost("10.0.0.1") }, orig, true},
		{"WithPort same", func(u *URL) *URL { return u.WithPort(20880) }, orig, true},
		{"WithPath same", func(u *URL) *URL { return u.WithPath("/org.a.Svc") }, orig, true},
		{"WithUserInfo same", func(u *URL) *URL { return u.WithUserInfo("admin", "pw") }, orig, true},
		{"WithPort", func(u *URL) *URL { return u.WithPort(20881) },
			"dubbo://admin:pw@10.0.0.1:20881/org.a.Svc?a=1&b=2&empty=&timeout=1000&x.y=3&x.z=4", false},
		{"WithPort negative is none", func(u *URL) *URL { return u.WithPort(-1) },
			"dubbo://admin:pw@10.0.0.1/org.a.Svc?a=1&b=2&empty=&timeout=1000&x.y=3&x.z=4", false},
		{"WithAddress", func(u *URL) *URL { return u.WithAddress("h", 1) },
			"dubbo://admin:pw@h:1/org.a.Svc?a=1&b=2&empty=&timeout=1000&x.y=3&x.z=4", false},
		{"WithAddress same", func(u *URL) *URL { return u.WithAddress("10.0.0.1", 20880) }, orig, true},
		{"WithPath", func(u *URL) *URL { return u.WithPath("//org.b.Svc") },
			"dubbo://admin:pw@10.0.0.1:20880/org.b.Svc?a=1&b=2&empty=&timeout=1000&x.y=3&x.z=4", false},
		{"WithParam new", func(u *URL) *URL { return u.WithParam("c", " 3 ") },
			"dubbo://admin:pw@10.0.0.1:20880/org.a.Svc?a=1&b=2&c=3&empty=&timeout=1000&x.y=3&x.z=4", false},
		{"WithParam first", func(u *URL) *URL { return u.WithParam("A", "0") },
			"dubbo://admin:pw@10.0.0.1:20880/org.a.Svc?A=0&a=1&b=2&empty=&timeout=1000&x.y=3&x.z=4", false},
		{"WithParam last", func(u *URL) *URL { return u.WithParam("z", "9") },
			"dubbo://admin:pw@10.0.0.1:20880/org.a.Svc?a=1&b=2&empty=&timeout=1000&x.y=3&x.z=4&z=9", false},
		{"WithParam replace", func(u *URL) *URL { return u.WithParam("timeout", "3000") },
			"dubbo://admin:pw@10.0.0.1:20880/org.a.Svc?a=1&b=2&empty=&timeout=3000&x.y=3&x.z=4", false},
		{"WithParam fills an empty value", func(u *URL) *URL { return u.WithParam("empty", "e") },
			"dubbo://admin:pw@10.0.0.1:20880/org.a.Svc?a=1&b=2&empty=e&timeout=1000&x.y=3&x.z=4", false},
		{"WithParam identical", func(u *URL) *URL { return u.WithParam("a", "1") }, orig, true},
		{"WithParam empty key", func(u *URL) *URL { return u.WithParam("", "1") }, orig, true},
		{"WithParam empty value", func(u *URL) *URL { return u.WithParam("a", "") }, orig, true},
		{"WithParam blank value", func(u *URL) *URL { return u.WithParam("a", "  ") }, orig, true},
		{"WithParams", func(u *URL) *URL {
			return u.WithParams(map[string]string{"a": "10", "c": "3", "": "x", "d": ""})
		}, "dubbo://admin:pw@10.0.0.1:20880/org.a.Svc?a=10&b=2&c=3&empty=&timeout=1000&x.y=3&x.z=4", false},
		{"WithParams identical", func(u *URL) *URL { return u.WithParams(map[string]string{"a": "1", "b": "2"}) }, orig, true},
		{"WithParams nil", func(u *URL) *URL { return u.WithParams(nil) }, orig, true},
		{"WithParamsIfAbsent", func(u *URL) *URL {
			return u.WithParamsIfAbsent(map[string]string{"a": "10", "empty": "e", "c": "3", "0": "0"})
		}, "dubbo://admin:pw@10.0.0.1:20880/org.a.Svc?0=0&a=1&b=2&c=3&empty=&timeout=1000&x.y=3&x.z=4", false},
		{"WithParamsIfAbsent all present", func(u *URL) *URL {
			return u.WithParamsIfAbsent(map[string]string{"a": "10", "b": "20"})
		}, orig, true},
		{"WithoutParams", func(u *URL) *URL { return u.WithoutParams("a", "x.y", "absent") },
			"dubbo://admin:pw@10.0.0.1:20880/org.a.Svc?b=2&empty=&timeout=1000&x.z=4", false},
		{"WithoutParams absent", func(u *URL) *URL { return u.WithoutParams("absent", "") }, orig, true},
		{"WithoutParams all", func(u *URL) *URL { return u.WithoutParams("a", "b", "empty", "timeout", "x.y", "x.z", "a") },
			"dubbo://admin:pw@10.0.0.1:20880/org.a.Svc", false},
		{"KeepParams", func(u *URL) *URL { return u.KeepParams([]string{"timeout", "empty", "absent"}, "x.") },
			"dubbo://admin:pw@10.0.0.1:20880/org.a.Svc?timeout=1000&x.y=3&x.z=4", false},
		{"KeepParams nothing", func(u *URL) *URL { return u.KeepParams(nil) },
			"dubbo://admin:pw@10.0.0.1:20880/org.a.Svc", false},
		{"KeepParams everything", func(u *URL) *URL { return u.KeepParams(nil, "") }, orig, true},
		{"ReplaceParams", func(u *URL) *URL { return u.ReplaceParams(map[string]string{"k": " v ", "": "x"}) },
			"dubbo://admin:pw@10.0.0.1:20880/org.a.Svc?k=v", false},
		{"ReplaceParams nil", func(u *URL) *URL { return u.ReplaceParams(nil) },
			"dubbo://admin:pw@10.0.0.1:20880/org.a.Svc", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := MustParse(orig)
			before := u.FullString()
			got := tt.f(u)
			require.Equal(t, before, u.FullString(), "the receiver is unchanged")
			require.Equal(t, orig, u.FullString())
			require.Equal(t, tt.want, got.FullString())
			if tt.same {
				require.True(t, got.Equal(u))
			} else {
				require.NotSame(t, u, got)
			}
			// The result is a well-formed URL: lookups find all its params.
			got.RangeParams(func(k, v string) bool {
				pv, ok := got.Param(k)
				require.True(t, ok, k)
				require.Equal(t, v, pv)
				return true
			})
			require.True(t, got.Equal(MustParse(got.FullString())))
		})
	}
}

func TestBuildersShareNothingMutable(t *testing.T) {
	u := MustParse("dubbo://h/p?b=2&d=4")
	// Derive several URLs from one parent and from each other; none may see
	// another's change.
	a := u.WithParam("c", "3")
	b := u.WithParam("a", "1")
	c := a.WithParam("e", "5")
	d := a.WithoutParams("b")
	require.Equal(t, "dubbo://h/p?b=2&d=4", u.String())
	require.Equal(t, "dubbo://h/p?b=2&c=3&d=4", a.String())
	require.Equal(t, "dubbo://h/p?a=1&b=2&d=4", b.String())
	require.Equal(t, "dubbo://h/p?b=2&c=3&d=4&e=5", c.String())
	require.Equal(t, "dubbo://h/p?c=3&d=4", d.String())
}
