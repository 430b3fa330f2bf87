package condition

import (
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/fleetrpc/fleet/common"
)

func TestJavaString(t *testing.T) {
	tests := []struct {
		in   any
		want string
	}{
		{1.0, "1.0"}, {1.5, "1.5"}, {-2.5, "-2.5"}, {100.0, "100.0"}, {0.001, "0.001"},
		{0.0001, "1.0E-4"}, {1e7, "1.0E7"}, {12345678.9, "1.23456789E7"}, {1e-10, "1.0E-10"},
		{math.NaN(), "NaN"}, {math.Inf(1), "Infinity"}, {math.Inf(-1), "-Infinity"},
		{0.0, "0.0"}, {math.Copysign(0, -1), "-0.0"}, {float32(0.1), "0.1"}, {float32(3), "3.0"},
		{time.Second, "1s"}, {[]int{1, 2}, "[1 2]"},
	}
	for _, tt := range tests {
		require.Equal(t, tt.want, javaString(tt.in), "%#v", tt.in)
	}
}

func TestMatchArgumentTypes(t *testing.T) {
	p := &matchPair{matches: []string{"42"}}
	for _, v := range []any{42, int8(42), int16(42), int32(42), int64(42), uint(42), uint8(42), uint16(42), uint32(42), uint64(42), "42"} {
		require.True(t, p.matchArgument(v), "%T", v)
	}
	require.False(t, p.matchArgument(43))
	require.True(t, (&matchPair{matches: []string{"false"}}).matchArgument(false))
	require.True(t, (&matchPair{matches: []string{"null"}}).matchArgument(nil))
}

func TestSampleURLParts(t *testing.T) {
	u := common.MustParse("dubbo://admin:secret@10.0.0.1:20880/com.foo.BarService?protocol=p&path=x&port=1&host=h")
	noParts := common.MustParse("10.0.0.1?protocol=p&path=x&port=1&username=u")
	tests := []struct {
		url       *common.URL
		key, want string
		present   bool
	}{
		{u, "protocol", "dubbo", true}, {u, "username", "admin", true}, {u, "password", "secret", true},
		{u, "path", "com.foo.BarService", true}, {u, "port", "20880", true}, {u, "host", "10.0.0.1", true},
		{u, "address", "10.0.0.1:20880", true}, {u, "missing", "", false},
		// as Java's toMap: an absent URL part leaves the param of that name
		{noParts, "protocol", "p", true}, {noParts, "path", "x", true}, {noParts, "port", "1", true},
		{noParts, "username", "u", true}, {noParts, "password", "", false}, {noParts, "address", "10.0.0.1", true},
	}
	for _, tt := range tests {
		kind, arg := classify(tt.key)
		v, ok := sample(&keyCondition{key: tt.key, kind: kind, arg: arg}, tt.url)
		require.Equal(t, tt.present, ok, tt.key)
		require.Equal(t, tt.want, v, tt.key)
	}
}

func TestClassifyArguments(t *testing.T) {
	tests := []struct {
		key  string
		kind sampleKind
		arg  int
	}{
		{"arguments[0]", sampleArgument, 0}, {"arguments[12].name", sampleArgument, 12}, {"arguments", sampleArgument, -1},
		{"arguments[]", sampleArgument, -1}, {"arguments[x]", sampleArgument, -1}, {"arguments[1", sampleArgument, -1},
		{"arguments[a]arguments[3]", sampleArgument, 3}, {"argumentsX", sampleArgument, -1},
		{"arguments[99999999999999999999]", sampleArgument, -1}, {"method", sampleMethod, -1}, {"methods", sampleMethod, -1},
		{"host", sampleHost, -1}, {"address", sampleAddress, -1}, {"application", sampleParam, -1},
	}
	for _, tt := range tests {
		kind, arg := classify(tt.key)
		require.Equal(t, tt.kind, kind, tt.key)
		require.Equal(t, tt.arg, arg, tt.key)
	}
}

func TestJavaBlank(t *testing.T) {
	for _, s := range []string{"", " ", "\t\n\v\f\r", "\x1c\x1f", "\u2003", "\u2028"} {
		require.True(t, isJavaBlank(s), "%q", s)
	}
	for _, s := range []string{"a", "\u00a0", "\u2007", "\u202f", "\x00"} {
		require.False(t, isJavaBlank(s), "%q", s)
	}
}
