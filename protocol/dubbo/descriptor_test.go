package dubbo

import (
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/fleetrpc/fleet/protocol"
)

func TestJavaTypeDesc(t *testing.T) {
	for name, want := range map[string]string{
		"int":                  "I",
		"long":                 "J",
		"boolean":              "Z",
		"java.lang.String":     "Ljava/lang/String;",
		"int[]":                "[I",
		"java.lang.String[]":   "[Ljava/lang/String;",
		"com.foo.User[][]":     "[[Lcom/foo/User;",
		"[Ljava.lang.String;":  "[Ljava/lang/String;",
		"com.foo.Outer$Inner":  "Lcom/foo/Outer$Inner;",
		"java.util.Map":        "Ljava/util/Map;",
		"java.math.BigDecimal": "Ljava/math/BigDecimal;",
	} {
		require.Equal(t, want, JavaTypeDesc(name), name)
	}
	require.Equal(t, "I[Ljava/lang/String;Ljava/util/Map;", ParamDesc([]string{"int", "java.lang.String[]", "java.util.Map"}))
	toks, err := splitDesc("I[Ljava/lang/String;Ljava/util/Map;[[J")
	require.NoError(t, err)
	require.Equal(t, []string{"I", "[Ljava/lang/String;", "Ljava/util/Map;", "[[J"}, toks)
	for _, bad := range []string{"L", "Lfoo", "[", "Q", "L;"} {
		_, err := countDesc(bad)
		require.Error(t, err, bad)
	}
	require.Equal(t, "java.lang.String[]", descToJavaName("[Ljava/lang/String;"))
	require.Equal(t, "long", descToJavaName("J"))
}

func TestValueDesc(t *testing.T) {
	s, n32, n64 := "x", int32(1), int64(1)
	for _, c := range []struct {
		v    any
		want string
	}{
		{"x", "Ljava/lang/String;"}, {int32(1), "I"}, {int64(1), "J"}, {1, "J"}, {true, "Z"},
		{1.5, "D"}, {[]byte{1}, "[B"}, {&s, "Ljava/lang/String;"}, {&n32, "Ljava/lang/Integer;"},
		{&n64, "Ljava/lang/Long;"}, {time.Now(), "Ljava/util/Date;"}, {&User{}, "Lorg/apache/dubbo/sample/User;"},
		{[]int{1}, "Ljava/util/List;"}, {map[string]int{}, "Ljava/util/Map;"}, {nil, "Ljava/lang/Object;"},
		{decimal("1.5"), "Ljava/math/BigDecimal;"}, {Active, "Lorg/apache/dubbo/sample/Status;"},
	} {
		require.Equal(t, c.want, ValueDesc(c.v), "%T", c.v)
	}
}

func TestStatusKind(t *testing.T) {
	for _, c := range []struct {
		status byte
		msg    string
		want   protocol.Kind
	}{
		{StatusClientTimeout, "", protocol.KindTimeout},
		{StatusServerTimeout, "", protocol.KindTimeout},
		{StatusChannelInactive, "", protocol.KindNetwork},
		{StatusBadRequest, "", protocol.KindSerialization},
		{StatusBadResponse, "boom", protocol.KindSerialization},
		{StatusBadResponse, "Data length too large: 9, max payload: 8, channel: x", protocol.KindLimit},
		{StatusServiceNotFound, "", protocol.KindNetwork},
		{StatusServiceError, "", protocol.KindNetwork},
		{StatusServerError, "", protocol.KindNetwork},
		{StatusClientError, "bad", protocol.KindSerialization},
		{StatusClientError, "Data length too large: 9", protocol.KindLimit},
		{StatusThreadpoolExhausted, "", protocol.KindLimit},
	} {
		require.Equal(t, c.want, StatusKind(c.status, c.msg), "status %d %q", c.status, c.msg)
		require.True(t, c.want.Retryable())
	}
}

func TestResponseFlagsAndVersions(t *testing.T) {
	require.True(t, supportsResponseAttachments("2.0.2"))
	require.True(t, supportsResponseAttachments("2.0.10"))
	require.False(t, supportsResponseAttachments("2.0.1"))
	require.False(t, supportsResponseAttachments("1.0.0"))
	require.False(t, supportsResponseAttachments(""))
	// Legacy null reply: the body is the flag alone.
	frame, err := EncodeResponse(nil, &Response{ID: 3, Status: StatusOK}, false, 0, "")
	require.NoError(t, err)
	require.Equal(t, []byte{0x92}, frame[HeaderLen:])
	// A status-70 reply "boom" (wire.md §10).
	frame, err = EncodeResponse(nil, &Response{ID: 3, Status: StatusServiceError, ErrorMessage: "boom"}, true, 0, "")
	require.NoError(t, err)
	require.Equal(t, []byte{0xda, 0xbb, 0x02, 0x46, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 5, 0x04, 'b', 'o', 'o', 'm'}, frame)
	var r Response
	h, _ := ParseHeader(frame)
	require.NoError(t, DecodeResponseBody(h, frame[HeaderLen:], &r))
	require.Equal(t, "boom", r.ErrorMessage)
	// An unknown flag.
	err = DecodeResponseBody(Header{Serialization: 2, Status: StatusOK}, []byte{0x99}, &r)
	require.ErrorContains(t, err, "Unknown result flag, expect '0' '1' '2' '3' '4' '5', but received: 9")
	// Another serialization.
	require.Error(t, DecodeResponseBody(Header{Serialization: 3, Status: StatusOK}, []byte{0x92}, &r))
}

func TestBadMagic(t *testing.T) {
	_, err := ParseHeader(make([]byte, HeaderLen))
	require.ErrorIs(t, err, ErrBadMagic)
}

// TestParamDescCached: the cached descriptors are ParamDesc's, lists that
// join to the same text stay apart, and the cache stops growing.
func TestParamDescCached(t *testing.T) {
	for _, types := range [][]string{
		{"java.lang.String"}, {"int", "java.lang.String[]", "java.util.Map"}, {"a,b"}, {"a", "b"}, {"ab"}, {"a", "", "b"}, {},
	} {
		for range 2 { // a miss, then a hit
			require.Equal(t, ParamDesc(types), paramDescCached(types), "%q", types)
		}
	}
	for i := range maxDescs + 10 {
		paramDescCached([]string{"com.example.T" + strconv.Itoa(i)})
	}
	require.LessOrEqual(t, len(*descCache.m.Load()), maxDescs)
	require.Equal(t, "Lcom/example/Late;", paramDescCached([]string{"com.example.Late"}))
}
