package dubbo

import (
	"encoding/hex"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestGoldenEncodeUserService encodes every userservice request from Go
// values and compares it with the captured bytes.
func TestGoldenEncodeUserService(t *testing.T) {
	created := time.UnixMilli(1700000000000)
	alice := &User{Status: Suspended, Attrs: map[string]string{"role": "admin"},
		Tags: []string{"x"}, Balance: decimal("99.99"), Created: created, Age: 25, Name: "alice", ID: 41}
	cases := []struct {
		name    string
		version string
		method  string
		types   []string // Java parameter types as a caller declares them
		args    []any
		// why, when set, explains the bytes that differ from Java's.
		why string
	}{
		{name: "getUser", method: "getUser", types: []string{"long"}, args: []any{int64(7)}},
		{name: "getUserNegative", method: "getUser", types: []string{"long"}, args: []any{-1}},
		{name: "getUserGroupVersion", version: "1.0.0", method: "getUser", types: []string{"long"}, args: []any{int64(7)}},
		{name: "listUsers", method: "listUsers", types: []string{"int"}, args: []any{2}},
		{name: "count", method: "count", types: []string{"java.util.List"}, args: []any{[]string{"a", "b", "a"}}},
		{name: "add", method: "add", types: []string{"int", "int"}, args: []any{int32(2), int32(3)}},
		{name: "addLong", method: "addLong", types: []string{"long", "long"}, args: []any{int64(1) << 40, int64(1)}},
		{name: "flip", method: "flip", types: []string{"boolean"}, args: []any{true}},
		{name: "half", method: "half", types: []string{"double"}, args: []any{3.0}},
		{name: "echoBytes", method: "echoBytes", types: []string{"byte[]"}, args: []any{[]byte{0, 1, 2, 255}}},
		{name: "echoNull", method: "echo", types: []string{"java.lang.String"}, args: []any{nil}},
		{name: "echo", method: "echo", types: []string{"java.lang.String"}, args: []any{"héllo, 世界"}},
		{name: "ping", method: "ping", types: nil, args: nil},
		{name: "save", method: "save", types: []string{"org.apache.dubbo.sample.User"}, args: []any{alice},
			why: "the User's tags field is a Go []string, which the Hessian library writes as the typed " +
				"array 'V \"[string\" 1' where hessian-lite writes the java.util.ArrayList it holds as " +
				"'71 \"java.util.ArrayList\"'; Java reads either into its List field"},
		{name: "generic", method: "$invoke", types: []string{"java.lang.String", "java.lang.String[]", "java.lang.Object[]"},
			args: []any{"getUser", []string{"long"}, []any{int64(7)}}},
		{name: "genericIntArg", method: "$invoke", types: []string{"java.lang.String", "java.lang.String[]", "java.lang.Object[]"},
			args: []any{"getUser", []string{"long"}, []any{int32(7)}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			want := readHex(t, "userservice/"+c.name+"-request.hex")
			captured := decodeReq(t, want)
			got, err := EncodeRequest(nil, &Request{TwoWay: true, Path: "org.apache.dubbo.sample.UserService",
				ServiceVersion: c.version, Method: c.method, Desc: ParamDesc(c.types), Args: c.args,
				Attachments: captured.Attachments}, DefaultPayload, "test")
			require.NoError(t, err)
			if c.why == "" {
				require.Equal(t, hex.EncodeToString(want), hex.EncodeToString(got))
				return
			}
			require.NotEqual(t, want, got)
			t.Logf("differs from Java: %s", c.why)
			// Whatever the bytes, the request means the same.
			require.Equal(t, normalize(captured.Args), normalize(decodeReq(t, got).Args))
		})
	}
}
