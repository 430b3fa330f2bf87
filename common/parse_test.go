package common

import (
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// parts is the expected content of a parsed URL.
type parts struct {
	protocol, username, password, host string
	port                               int
	path                               string
	params                             map[string]string
}

func requireParts(t *testing.T, want parts, u *URL) {
	t.Helper()
	require.Equal(t, want.protocol, u.Protocol(), "protocol")
	require.Equal(t, want.username, u.Username(), "username")
	require.Equal(t, want.password, u.Password(), "password")
	require.Equal(t, want.host, u.Host(), "host")
	require.Equal(t, want.port, u.Port(), "port")
	require.Equal(t, want.path, u.Path(), "path")
	if want.params == nil {
		want.params = map[string]string{}
	}
	require.Equal(t, want.params, u.Params(), "params")
}

func TestParse(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want parts
	}{
		{
			name: "full",
			in:   "dubbo://admin:hello1234@10.20.130.230:20880/context/path?version=1.0.0&application=morgan",
			want: parts{"dubbo", "admin", "hello1234", "10.20.130.230", 20880, "context/path",
				map[string]string{"version": "1.0.0", "application": "morgan"}},
		},
		{
			name: "user info splits at last @ then first colon",
			in:   "dubbo://ad@min:hello@1234@10.20.130.230:20880/context/path?version=1.0.0&application=morgan",
			want: parts{"dubbo", "ad@min", "hello@1234", "10.20.130.230", 20880, "context/path",
				map[string]string{"version": "1.0.0", "application": "morgan"}},
		},
		{
			name: "user without password",
			in:   "dubbo://admin@10.20.130.230:20880/context/path",
			want: parts{"dubbo", "admin", "", "10.20.130.230", 20880, "context/path", nil},
		},
		{
			name: "password without user",
			in:   "dubbo://:secret@10.20.130.230:20880",
			want: parts{"dubbo", "", "secret", "10.20.130.230", 20880, "", nil},
		},
		{
			name: "empty user info",
			in:   "dubbo://@10.20.130.230",
			want: parts{"dubbo", "", "", "10.20.130.230", 0, "", nil},
		},
		{
			name: "no protocol, host is before the first slash",
			in:   "context/path?version=1.0.0&application=morgan",
			want: parts{"", "", "", "context", 0, "path",
				map[string]string{"version": "1.0.0", "application": "morgan"}},
		},
		{
			name: "no protocol, host and port",
			in:   "10.20.130.230:20880",
			want: parts{"", "", "", "10.20.130.230", 20880, "", nil},
		},
		{
			name: "no protocol, user info",
			in:   "admin:hello1234@10.20.130.230:20880/context/path?version=1.0.0",
			want: parts{"", "admin", "hello1234", "10.20.130.230", 20880, "context/path",
				map[string]string{"version": "1.0.0"}},
		},
		{
			name: "file with three slashes keeps the drive in the path",
			in:   "file:///d:/x",
			want: parts{"file", "", "", "", 0, "d:/x", nil},
		},
		{
			name: "file with one slash",
			in:   "file:/x",
			want: parts{"file", "", "", "", 0, "x", nil},
		},
		{
			name: "file with two slashes has a host",
			in:   "file://home/x",
			want: parts{"file", "", "", "home", 0, "x", nil},
		},
		{
			name: "file with colon-slash and a path",
			in:   "file:/path/to/file.txt",
			want: parts{"file", "", "", "", 0, "path/to/file.txt", nil},
		},
		{
			name: "leading slashes of the path are stripped",
			in:   "dubbo://10.20.130.230:20880///context/path",
			want: parts{"dubbo", "", "", "10.20.130.230", 20880, "context/path", nil},
		},
		{
			name: "bare IPv6 reads its last group as the port",
			in:   "dubbo://2001:db8::1/org.a.Svc",
			want: parts{"dubbo", "", "", "2001:db8:", 1, "org.a.Svc", nil},
		},
		{
			name: "bracketed IPv6 keeps the brackets",
			in:   "dubbo://[::1]:20880/org.a.Svc",
			want: parts{"dubbo", "", "", "[::1]", 20880, "org.a.Svc", nil},
		},
		{
			name: "IPv6 zone id means no port",
			in:   "dubbo://fe80::1%en0/org.a.Svc",
			want: parts{"dubbo", "", "", "fe80::1%en0", 0, "org.a.Svc", nil},
		},
		{
			name: "bracketed IPv6 with zone id and port",
			in:   "dubbo://[fe80::1%en0]:20880/org.a.Svc",
			want: parts{"dubbo", "", "", "[fe80::1%en0]", 20880, "org.a.Svc", nil},
		},
		{
			name: "colon at the end is part of the host",
			in:   "dubbo://host:/p",
			want: parts{"dubbo", "", "", "host:", 0, "p", nil},
		},
		{
			name: "port 0 is no port",
			in:   "dubbo://host:0/p",
			want: parts{"dubbo", "", "", "host", 0, "p", nil},
		},
		{
			name: "port with leading zeros",
			in:   "dubbo://host:020880",
			want: parts{"dubbo", "", "", "host", 20880, "", nil},
		},
		{
			name: "port without host",
			in:   "dubbo://:20880/p",
			want: parts{"dubbo", "", "", "", 20880, "p", nil},
		},
		{
			name: "protocol only",
			in:   "dubbo://",
			want: parts{"dubbo", "", "", "", 0, "", nil},
		},
		{
			name: "params only",
			in:   "?a=1",
			want: parts{"", "", "", "", 0, "", map[string]string{"a": "1"}},
		},
		{
			name: "value splits at the first equals sign",
			in:   "dubbo://h/p?a=b=c",
			want: parts{"dubbo", "", "", "h", 0, "p", map[string]string{"a": "b=c"}},
		},
		{
			name: "part without equals sign is its own value",
			in:   "dubbo://h/p?noValue&a=1",
			want: parts{"dubbo", "", "", "h", 0, "p", map[string]string{"noValue": "noValue", "a": "1"}},
		},
		{
			name: "semicolons separate too",
			in:   "dubbo://h/p?a=1;b=2&c=3",
			want: parts{"dubbo", "", "", "h", 0, "p", map[string]string{"a": "1", "b": "2", "c": "3"}},
		},
		{
			name: "empty parts and empty keys are skipped",
			in:   "dubbo://h/p?&&a=1;;&=x&  &b=",
			want: parts{"dubbo", "", "", "h", 0, "p", map[string]string{"a": "1", "b": ""}},
		},
		{
			name: "later duplicate overwrites",
			in:   "dubbo://h/p?a=1&a=2",
			want: parts{"dubbo", "", "", "h", 0, "p", map[string]string{"a": "2"}},
		},
		{
			name: "parts are trimmed, values trimmed, keys keep inner blanks",
			in:   "  dubbo://h/p?  a = 1 &b= 2\t& c=3  ",
			want: parts{"dubbo", "", "", "h", 0, "p", map[string]string{"a ": "1", "b": "2", "c": "3"}},
		},
		{
			name: "default key also sets the plain key",
			in:   "dubbo://h/p?default.timeout=5000",
			want: parts{"dubbo", "", "", "h", 0, "p", map[string]string{"default.timeout": "5000", "timeout": "5000"}},
		},
		{
			name: "default key does not override an earlier plain key",
			in:   "dubbo://h/p?timeout=3000&default.timeout=5000",
			want: parts{"dubbo", "", "", "h", 0, "p", map[string]string{"default.timeout": "5000", "timeout": "3000"}},
		},
		{
			name: "later plain key overrides a default key",
			in:   "dubbo://h/p?default.timeout=5000&timeout=3000",
			want: parts{"dubbo", "", "", "h", 0, "p", map[string]string{"default.timeout": "5000", "timeout": "3000"}},
		},
		{
			name: "first default key sets the plain key, the last the default key",
			in:   "dubbo://h/p?default.timeout=5000&default.timeout=6000",
			want: parts{"dubbo", "", "", "h", 0, "p", map[string]string{"default.timeout": "6000", "timeout": "5000"}},
		},
		{
			name: "default key without value",
			in:   "dubbo://h/p?default.x",
			want: parts{"dubbo", "", "", "h", 0, "p", map[string]string{"default.x": "default.x", "x": "default.x"}},
		},
		{
			name: "default prefix alone sets no empty key",
			in:   "dubbo://h/p?default.=1",
			want: parts{"dubbo", "", "", "h", 0, "p", map[string]string{"default.": "1"}},
		},
		{
			name: "default key: blanks at the start of the plain key are trimmed",
			in:   "dubbo://h/p?default. x=1",
			want: parts{"dubbo", "", "", "h", 0, "p", map[string]string{"default. x": "1", "x": "1"}},
		},
		{
			name: "default key: a nested default key sets no other key",
			in:   "dubbo://h/p?default.default.x=1",
			want: parts{"dubbo", "", "", "h", 0, "p", map[string]string{"default.default.x": "1"}},
		},
		{
			name: "fragment before the query is dropped",
			in:   "dubbo://h:20880/p#frag?x=1",
			want: parts{"dubbo", "", "", "h", 20880, "p", map[string]string{"x": "1"}},
		},
		{
			name: "fragment after the host is dropped",
			in:   "dubbo://h:20880#frag/x",
			want: parts{"dubbo", "", "", "h", 20880, "", nil},
		},
		{
			name: "hash inside the query is kept",
			in:   "dubbo://h/p?x=1#frag&y=#",
			want: parts{"dubbo", "", "", "h", 0, "p", map[string]string{"x": "1#frag", "y": "#"}},
		},
		{
			name: "question marks after the first are literal",
			in:   "dubbo://h/p?x=?&y?=1",
			want: parts{"dubbo", "", "", "h", 0, "p", map[string]string{"x": "?", "y?": "1"}},
		},
		{
			name: "values are not unescaped",
			in:   "zookeeper://h/p?refer=a%3D1%26b%3D2",
			want: parts{"zookeeper", "", "", "h", 0, "p", map[string]string{"refer": "a%3D1%26b%3D2"}},
		},
		{
			name: "host and end of path are trimmed",
			in:   "dubbo:// h /p #x",
			want: parts{"dubbo", "", "", "h", 0, "p", nil},
		},
		{
			name: "path keeps colons and at signs",
			in:   "dubbo://h/a@b:c/d",
			want: parts{"dubbo", "", "", "h", 0, "a@b:c/d", nil},
		},
		{
			name: "protocol may contain a colon",
			in:   "a:b://h",
			want: parts{"a:b", "", "", "h", 0, "", nil},
		},
		{
			name: "non-ASCII",
			in:   "dubbo://h/服务?名=值",
			want: parts{"dubbo", "", "", "h", 0, "服务", map[string]string{"名": "值"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, err := Parse(tt.in)
			require.NoError(t, err)
			requireParts(t, tt.want, u)
			// Every parsed URL reads back the same from its canonical text.
			v, err := Parse(u.FullString())
			require.NoError(t, err)
			require.True(t, u.Equal(v), "reparsed %q as %q", u.FullString(), v.FullString())
		})
	}
}

func TestParseErrors(t *testing.T) {
	parseErr := func(s string) error { _, err := Parse(s); return err }
	encodedErr := func(s string) error { _, err := ParseEncoded(s); return err }
	decodeErr := func(s string) error { _, err := Decode(s); return err }
	addressErr := func(s string) error { _, err := ParseAddress(s, nil); return err }
	addressesErr := func(s string) error { _, err := ParseAddresses(s, nil); return err }
	tests := []struct {
		name   string
		f      func(string) error
		in     string
		reason string
	}{
		{"empty", parseErr, "", "url == null"},
		{"blank", parseErr, "   ", "url == null"},
		{"control characters only", parseErr, "\t\r\n\x00", "url == null"},
		{"question mark only", parseErr, "?", "empty url"},
		{"separators only", parseErr, "?&;& ;", "empty url"},
		{"fragment only", parseErr, "#frag", "empty url"},
		{"slash only", parseErr, "/", "empty url"},
		{"at sign only", parseErr, "@", "empty url"},
		{"missing protocol", parseErr, "://host", "url missing protocol"},
		{"missing protocol colon-slash", parseErr, ":/host", "url missing protocol"},
		{"missing protocol, nothing else", parseErr, "://", "url missing protocol"},
		{"missing protocol with path", parseErr, ":///x", "url missing protocol"},
		{"missing protocol after trim", parseErr, "  ://host:20880  ", "url missing protocol"},
		{"missing protocol with query", parseErr, "://host?x=1", "url missing protocol"},
		{"no separator, text read as port", parseErr, "dubbo:192.168.1.1", `invalid port "192.168.1.1"`},
		{"non-numeric port", parseErr, "dubbo://host:abc", `invalid port "abc"`},
		{"negative port", parseErr, "dubbo://host:-1", `invalid port "-1"`},
		{"signed port", parseErr, "dubbo://host:+80", `invalid port "+80"`},
		{"port above 65535", parseErr, "dubbo://host:65536", `invalid port "65536"`},
		{"port overflows int32", parseErr, "dubbo://host:2147483648/p", `invalid port "2147483648"`},
		{"port overflows int64", parseErr, "dubbo://host:99999999999999999999", `invalid port "99999999999999999999"`},
		{"port with trailing letters", parseErr, "dubbo://host:20880x/path", `invalid port "20880x"`},
		{"port with blank", parseErr, "dubbo://host: 80/p", `invalid port " 80"`},
		{"hex port", parseErr, "dubbo://host:0x50", `invalid port "0x50"`},
		{"bracketed IPv6 without port", parseErr, "dubbo://[::1]/org.a.Svc", `invalid port "1]"`},
		{"no protocol, bad port", parseErr, "host:port", `invalid port "port"`},
		{"invalid UTF-8", parseErr, "dubbo://h\xff/p", "invalid UTF-8"},
		{"invalid UTF-8 in a value", parseErr, "dubbo://h/p?a=\xc3\x28", "invalid UTF-8"},
		{"encoded empty", encodedErr, "", "url == null"},
		{"encoded lone percent", encodedErr, "%", "unterminated escape sequence at index 0 of"},
		{"encoded percent and one digit", encodedErr, "%4", "unterminated escape sequence at index 0 of"},
		{"encoded truncated escape at the end", encodedErr, "dubbo%3A%2F%2Fh%3A%2", "unterminated escape sequence at index 18 of"},
		{"encoded truncated escape in the query", encodedErr, "dubbo%3A%2F%2Fh%3Fa%3D1%2", "unterminated escape sequence at index 23 of"},
		{"encoded non-hex escape", encodedErr, "%zz", `invalid escape sequence "%zz" at index 0 of`},
		{"encoded half-hex escape", encodedErr, "dubbo%3A%2F%2Fh%G0", `invalid escape sequence "%G0" at index 15 of`},
		{"encoded invalid UTF-8 byte", encodedErr, "dubbo%3A%2F%2Fh%3Fa%3D%FF", "invalid UTF-8 after decoding"},
		{"encoded invalid UTF-8 sequence", encodedErr, "%C3%28", "invalid UTF-8 after decoding"},
		{"encoded surrogate", encodedErr, "dubbo%3A%2F%2Fh%2F%ED%A0%80", "invalid UTF-8 after decoding"},
		{"encoded truncated UTF-8", encodedErr, "dubbo%3A%2F%2Fh%2F%E4%B8", "invalid UTF-8 after decoding"},
		{"encoded missing protocol", encodedErr, "%3A%2F%2Fhost", "url missing protocol"},
		{"encoded bad port", encodedErr, "dubbo%3A192.168.1.1", `invalid port "192.168.1.1"`},
		{"encoded port overflow", encodedErr, "dubbo%3A%2F%2Fhost%3A99999", `invalid port "99999"`},
		{"encoded blank", encodedErr, "+++", "url == null"},
		{"decode truncated", decodeErr, "a%2", "unterminated escape sequence at index 1 of"},
		{"decode bad hex", decodeErr, "%-1", `invalid escape sequence "%-1" at index 0 of`},
		{"decode raw invalid UTF-8", decodeErr, "a\xffb", "invalid UTF-8 after decoding"},
		{"address empty", addressErr, "", "Address is not allowed to be empty."},
		{"address bad port", addressErr, "10.0.0.1:abc", `invalid port "abc"`},
		{"address missing protocol", addressErr, "://10.0.0.1:2181", "url missing protocol"},
		{"addresses empty", addressesErr, "", "Address is not allowed to be empty."},
		{"addresses with an empty first entry", addressesErr, "|10.0.0.1:2181", "Address is not allowed to be empty."},
	}
	require.GreaterOrEqual(t, len(tests), 30)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.f(tt.in)
			require.Error(t, err)
			var pe *ParseError
			require.ErrorAs(t, err, &pe)
			require.Contains(t, err.Error(), strconv.Quote(tt.in), "the error quotes the input")
			require.Contains(t, err.Error(), tt.reason)
		})
	}
}

func TestParseErrorMessages(t *testing.T) {
	tests := []struct {
		name string
		err  func() error
		want string
	}{
		{"bad port", func() error { _, err := Parse("dubbo:192.168.1.1"); return err },
			`parse url "dubbo:192.168.1.1": invalid port "192.168.1.1"`},
		{"missing protocol", func() error { _, err := Parse("://host"); return err },
			`url missing protocol: "://host"`},
		{"empty", func() error { _, err := Parse(""); return err },
			`parse url "": url == null`},
		{"unterminated escape", func() error { _, err := Decode("a%2"); return err },
			`unterminated escape sequence at index 1 of: "a%2"`},
		{"encoded bad port", func() error { _, err := ParseEncoded("dubbo%3A%2F%2Fh%3Ax"); return err },
			`parse encoded url "dubbo%3A%2F%2Fh%3Ax": invalid port "x"`},
		{"password is masked", func() error { _, err := Parse("dubbo://admin:s3cret@h:x/p"); return err },
			`parse url "dubbo://admin:****@h:x/p": invalid port "x"`},
		{"address wraps parse", func() error { _, err := ParseAddress("h:x", nil); return err },
			`parse address "h:x": parse url "h:x": invalid port "x"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.err()
			require.EqualError(t, err, tt.want)
			require.NotContains(t, err.Error(), "s3cret")
		})
	}
}

func TestParseErrorFields(t *testing.T) {
	_, err := Parse("dubbo://u:pw@h:x")
	var pe *ParseError
	require.ErrorAs(t, err, &pe)
	require.Equal(t, "parse url", pe.Op)
	require.Equal(t, "dubbo://u:pw@h:x", pe.Input, "Input keeps the password")
	require.Equal(t, `invalid port "x"`, pe.Reason)
	require.NoError(t, pe.Unwrap())

	_, err = ParseAddress("h:x", nil)
	require.ErrorAs(t, err, &pe)
	require.Equal(t, "h:x", pe.Input)
	inner := errors.Unwrap(err)
	require.ErrorAs(t, inner, &pe)
	require.Equal(t, "parse url", pe.Op)
}

func TestMaskPassword(t *testing.T) {
	tests := []struct{ in, want string }{
		{"dubbo://u:p@h/x", "dubbo://u:****@h/x"},
		{"dubbo://u:p@q@h:1?x=@", "dubbo://u:****@h:1?x=@"},
		{"u:p@h", "u:****@h"},
		{"dubbo://u@h", "dubbo://u@h"},
		{"dubbo://u:@h", "dubbo://u:@h"},
		{"dubbo://h/p?a=b:c@d", "dubbo://h/p?a=b:c@d"},
		{"", ""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			require.Equal(t, tt.want, maskPassword(tt.in))
		})
	}
}

func TestMustParse(t *testing.T) {
	require.Equal(t, "h", MustParse("dubbo://h").Host())
	require.PanicsWithError(t, `parse url "": url == null`, func() { MustParse("") })
}

func TestParseEncoded(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want parts
	}{
		{
			name: "upper-case query separator",
			in:   "dubbo%3A%2F%2F10.0.0.1%3A20880%2Forg.a.Svc%3Fa%3D1%26b%3D2",
			want: parts{"dubbo", "", "", "10.0.0.1", 20880, "org.a.Svc", map[string]string{"a": "1", "b": "2"}},
		},
		{
			name: "lower-case escapes",
			in:   "dubbo%3a%2f%2f10.0.0.1%3a20880%2forg.a.Svc%3fa%3d1%26b%3d2",
			want: parts{"dubbo", "", "", "10.0.0.1", 20880, "org.a.Svc", map[string]string{"a": "1", "b": "2"}},
		},
		{
			name: "plus is a space",
			in:   "dubbo%3A%2F%2Fh%2Fp%3Fa%3Dx+y%26b%3D%2B",
			want: parts{"dubbo", "", "", "h", 0, "p", map[string]string{"a": "x y", "b": "+"}},
		},
		{
			name: "user info and commas",
			in:   "dubbo%3A%2F%2Fad%40min%3Apw%4012%40h%3A1%2Fp%3Fmethods%3Da%2Cb",
			want: parts{"dubbo", "ad@min", "pw@12", "h", 1, "p", map[string]string{"methods": "a,b"}},
		},
		{
			name: "escaped question mark inside a value",
			in:   "dubbo%3A%2F%2Fh%2Fp%3Fa%3D%3F%26b%3D%253F",
			want: parts{"dubbo", "", "", "h", 0, "p", map[string]string{"a": "?", "b": "%3F"}},
		},
		{
			name: "nested refer stays encoded once",
			in:   "zookeeper%3A%2F%2Fh%3A2181%2Fr%3Frefer%3Dinterface%253DSvc%2526side%253Dconsumer",
			want: parts{"zookeeper", "", "", "h", 2181, "r", map[string]string{"refer": "interface%3DSvc%26side%3Dconsumer"}},
		},
		{
			name: "UTF-8 escapes",
			in:   "dubbo%3A%2F%2Fh%2F%E6%9C%8D%E5%8A%A1%3F%E5%90%8D%3D%E5%80%BC",
			want: parts{"dubbo", "", "", "h", 0, "服务", map[string]string{"名": "值"}},
		},
		{
			name: "not encoded at all",
			in:   "dubbo://h/p?a=1",
			want: parts{"dubbo", "", "", "h", 0, "p", map[string]string{"a": "1"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, err := ParseEncoded(tt.in)
			require.NoError(t, err)
			requireParts(t, tt.want, u)
			d, err := Decode(tt.in)
			require.NoError(t, err)
			v, err := Parse(d)
			require.NoError(t, err)
			require.True(t, u.Equal(v), "ParseEncoded(s) equals Parse(Decode(s))")
		})
	}
}

// TestParseEncodedZooKeeperNodes reads the node names Java Dubbo 2.7.23 wrote
// to ZooKeeper and checks that fleet reads the same URLs and writes the same
// names.
func TestParseEncodedZooKeeperNodes(t *testing.T) {
	for _, c := range loadZKCaptures(t) {
		for i, name := range c.names {
			t.Run(c.file+"/"+strconv.Itoa(i), func(t *testing.T) {
				u, err := ParseEncoded(name)
				require.NoError(t, err)
				require.Equal(t, name, u.Encoded(), "fleet writes the node name Java wrote")
				require.Contains(t, c.decoded, u.FullString(), "the decoded URL of the capture")
				j := slicesIndex(c.decoded, u.FullString())
				require.Equal(t, c.params[j], u.Params())
				d, err := Parse(c.decoded[j])
				require.NoError(t, err)
				require.True(t, d.Equal(u))
				require.Equal(t, "127.0.0.1", u.Host())
				iface, ok := u.Param(InterfaceKey)
				require.True(t, ok)
				require.Equal(t, iface, u.Path())
			})
		}
	}
}

func slicesIndex(list []string, s string) int {
	for i, x := range list {
		if x == s {
			return i
		}
	}
	return -1
}

func TestParseEncodedSplitsAtFirstEscapedQuestionMark(t *testing.T) {
	// The body ends at the first %3F; later ones belong to values.
	u, err := ParseEncoded("dubbo%3A%2F%2Fh%2Fp%3Fa%3Db%3Fc")
	require.NoError(t, err)
	require.Equal(t, "p", u.Path())
	v, _ := u.Param("a")
	require.Equal(t, "b?c", v)
	require.True(t, strings.HasSuffix(u.FullString(), "?a=b?c"))
}

func BenchmarkParse(b *testing.B) {
	provider := "dubbo://127.0.0.1:20880/org.apache.dubbo.sample.UserService?anyhost=true&application=interop-java-provider&deprecated=false&dubbo=2.0.2&dynamic=true&generic=false&group=g1&interface=org.apache.dubbo.sample.UserService&logger=jdk&methods=add,whoami,half,echoBytes,ping,getUser,count,save,echo,sleep,listUsers,addLong,flip&pid=16305&release=2.7.23&revision=demo&serialization=hessian2&server=loopback&service.name=ServiceBean:g1/org.apache.dubbo.sample.UserService:1.0.0&side=provider&timestamp=1795290132824&version=1.0.0&warmup=0&weight=200"
	encoded := Encode(provider)
	b.Run("decoded", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(provider)))
		for b.Loop() {
			if _, err := Parse(provider); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encoded", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(encoded)))
		for b.Loop() {
			if _, err := ParseEncoded(encoded); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("short", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := Parse("dubbo://10.0.0.1:20880/org.a.Svc?timeout=1000"); err != nil {
				b.Fatal(err)
			}
		}
	})
}
