package common

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// The expected outputs are what java.net.URLEncoder.encode(s, "UTF-8")
// returns.
func TestEncodeMatchesJavaURLEncoder(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"abcXYZ019", "abcXYZ019"},
		{".-*_", ".-*_"},
		{"a b", "a+b"},
		{"~", "%7E"},
		{"+", "%2B"},
		{"%", "%25"},
		{":/?=&,#;@", "%3A%2F%3F%3D%26%2C%23%3B%40"},
		{"!'()", "%21%27%28%29"},
		{"\x00\n\x7f", "%00%0A%7F"},
		{"中", "%E4%B8%AD"},
		{"héllo, 世界", "h%C3%A9llo%2C+%E4%B8%96%E7%95%8C"},
		{"😀", "%F0%9F%98%80"},
		{
			"dubbo://127.0.0.1:20880/org.a.Svc?methods=a,b&side=provider",
			"dubbo%3A%2F%2F127.0.0.1%3A20880%2Forg.a.Svc%3Fmethods%3Da%2Cb%26side%3Dprovider",
		},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			require.Equal(t, tt.want, Encode(tt.in))
			got, err := Decode(tt.want)
			require.NoError(t, err)
			require.Equal(t, tt.in, got)
		})
	}
}

func TestEncodeInvalidUTF8IsEscapedBytewise(t *testing.T) {
	require.Equal(t, "a%FFb", Encode("a\xffb"))
	_, err := Decode("a%FFb")
	require.ErrorContains(t, err, "invalid UTF-8 after decoding")
}

// The expected outputs are what java.net.URLDecoder.decode(s, "UTF-8")
// returns.
func TestDecodeMatchesJavaURLDecoder(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"abc", "abc"},
		{"a+b", "a b"},
		{"a%20b", "a b"},
		{"%2B", "+"},
		{"%7e%7E", "~~"},
		{"%e4%b8%ad", "中"},
		{"%E4%B8%AD", "中"},
		{"a~b*c'd", "a~b*c'd"},
		{"%3a%2F%2f", "://"},
		{"100%25", "100%"},
		{"中", "中"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := Decode(tt.in)
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
}

func TestDecodeErrors(t *testing.T) {
	tests := []struct{ in, want string }{
		{"%", `unterminated escape sequence at index 0 of: "%"`},
		{"%4", `unterminated escape sequence at index 0 of: "%4"`},
		{"a%2", `unterminated escape sequence at index 1 of: "a%2"`},
		{"ab%", `unterminated escape sequence at index 2 of: "ab%"`},
		{"%zz", `invalid escape sequence "%zz" at index 0 of: "%zz"`},
		{"a%4g", `invalid escape sequence "%4g" at index 1 of: "a%4g"`},
		{"%FF", `invalid UTF-8 after decoding: "%FF"`},
		{"%E4%B8", `invalid UTF-8 after decoding: "%E4%B8"`},
		{"%C0%80", `invalid UTF-8 after decoding: "%C0%80"`},
		{"\xff", `invalid UTF-8 after decoding: "\xff"`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			_, err := Decode(tt.in)
			require.EqualError(t, err, tt.want)
			var pe *ParseError
			require.ErrorAs(t, err, &pe)
			require.Equal(t, tt.in, pe.Input)
		})
	}
}

func TestToQueryString(t *testing.T) {
	tests := []struct {
		name string
		in   map[string]string
		want string
	}{
		{"nil", nil, ""},
		{"sorted", map[string]string{"b": "2", "a": "1", "A": "0"}, "A=0&a=1&b=2"},
		{"empty keys and values skipped", map[string]string{"": "x", "e": "", "k": "v"}, "k=v"},
		{"nothing escaped or trimmed", map[string]string{"k": " a&b=c "}, "k= a&b=c "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, ToQueryString(tt.in))
		})
	}
}

func TestParseQueryString(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want map[string]string
	}{
		{"empty", "", map[string]string{}},
		{"pairs", "a=1&b=2", map[string]string{"a": "1", "b": "2"}},
		{"value keeps equals signs and blanks", "a=b=c&s= x ", map[string]string{"a": "b=c", "s": " x "}},
		{"empty value", "a=", map[string]string{"a": ""}},
		{"item without equals is dropped", "noValue&a=1", map[string]string{"a": "1"}},
		{"semicolon does not separate", "a=1;b=2", map[string]string{"a": "1;b=2"}},
		{"key characters", "_x.y-z=1&.a=2&9=3", map[string]string{"_x.y-z": "1", ".a": "2", "9": "3"}},
		{"key starting with dash is dropped", "-a=1&b=2", map[string]string{"b": "2"}},
		{"key with other characters is dropped", "a b=1&a:b=2&a/b=3&ä=4&c=5", map[string]string{"c": "5"}},
		{"empty key is dropped", "=1&c=5", map[string]string{"c": "5"}},
		{"line terminator in value is dropped", "a=x\ny&b=x\u2028&c=ok", map[string]string{"c": "ok"}},
		{"later duplicate wins", "a=1&a=2", map[string]string{"a": "2"}},
		{"empty items", "&&a=1&", map[string]string{"a": "1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.Equal(t, tt.want, ParseQueryString(tt.in))
		})
	}
}

func TestQueryStringRoundTrip(t *testing.T) {
	params := map[string]string{"interface": "org.a.Svc", "methods": "a,b", "side": "consumer", "application": "demo"}
	require.Equal(t, params, ParseQueryString(ToQueryString(params)))
}
