package dubbo

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/fleetrpc/fleet/protocol"
)

// scanSeeds are bodies of the kinds the scanner reads (and some it leaves
// to the library): requests with numbers, strings, booleans and null as
// arguments and attachments, and answers of such values.
func scanSeeds(t testing.TB) [][]byte {
	t.Helper()
	values := []any{nil, true, false, int32(0), int32(-16), int32(47), int32(-2048), int32(2047),
		int32(-262144), int32(262143), int32(math.MinInt32), int32(math.MaxInt32),
		int64(-8), int64(15), int64(-2048), int64(2047), int64(-262144), int64(262143),
		int64(math.MinInt32), int64(math.MaxInt64), int64(math.MinInt64),
		0.0, 1.0, -128.0, 127.0, -32768.0, 32767.0, 12.25, 0.001, -1e300, math.Inf(1),
		"", "x", "héllo, 世界", string(make([]byte, 40)), string(make([]byte, 300)), "😀",
		[]string{"a"}, map[string]any{"k": "v"}, user(1)}
	var bodies [][]byte
	add := func(frame []byte, err error) {
		require.NoError(t, err)
		bodies = append(bodies, frame[HeaderLen:])
	}
	for _, v := range values {
		atts := []protocol.Attachment{{Key: "path", Value: userService}, {Key: "k", Value: v}}
		add(EncodeRequest(nil, &Request{TwoWay: true, Path: userService, Method: "m", Desc: ValueDesc(v),
			Args: []any{v}, Attachments: atts}, 0, ""))
		add(EncodeResponse(nil, &Response{Status: StatusOK, Value: v}, false, 0, ""))
		add(EncodeResponse(nil, &Response{Status: StatusOK, Value: v, Attachments: map[string]any{"k": v}}, true, 0, ""))
	}
	add(EncodeRequest(nil, &Request{TwoWay: true, Path: userService, Method: "m", Desc: "IJLjava/lang/String;",
		Args: []any{int32(1), int64(2), "three"}}, 0, ""))
	add(EncodeResponse(nil, &Response{Status: StatusOK, Exception: &JavaException{Class: "java.lang.Exception", Message: "x"}}, true, 0, ""))
	return bodies
}

// sameDecoded compares two decoded values: deeply, or by their Go syntax
// (which tells NaN from NaN as equal).
func sameDecoded(a, b any) bool {
	return reflect.DeepEqual(a, b) || fmt.Sprintf("%#v", a) == fmt.Sprintf("%#v", b)
}

// checkScanAgrees decodes body as a request and as an OK response both
// with the scanner and with the Hessian library only: where the library
// succeeds, so must the scanner, with the same values.
func checkScanAgrees(t *testing.T, body []byte) {
	t.Helper()
	h := Header{Request: true, TwoWay: true, Serialization: Hessian2ID, BodyLen: len(body)}
	var slow, fast, interned Request
	errSlow := decodeRequest(h, body, &slow, requestBufs{})
	errFast := decodeRequest(h, body, &fast, requestBufs{fast: true})
	errInterned := decodeRequest(h, body, &interned, requestBufs{fast: true, strs: &strTable{},
		args: make([]any, 0, 1), atts: make([]protocol.Attachment, 0, 2)})
	if errSlow == nil {
		require.NoError(t, errFast)
		require.NoError(t, errInterned)
		require.True(t, sameDecoded(slow, fast), "request\nlibrary: %#v\nscanner: %#v", slow, fast)
		require.True(t, sameDecoded(slow, interned), "request\nlibrary: %#v\ninterned: %#v", slow, interned)
	}

	h = Header{Serialization: Hessian2ID, Status: StatusOK, BodyLen: len(body)}
	var rs, rf Response
	errSlow = decodeResponse(h, body, &rs, nil, false)
	errFast = decodeResponse(h, body, &rf, &strTable{}, true)
	if errSlow == nil {
		require.NoError(t, errFast)
		require.True(t, sameDecoded(rs, rf), "response\nlibrary: %#v\nscanner: %#v", rs, rf)
	}
}

// TestScanAgreesWithLibrary: for the seeds and the captures, reading the
// common bodies without the Hessian library gives what the library gives.
func TestScanAgreesWithLibrary(t *testing.T) {
	for _, body := range scanSeeds(t) {
		checkScanAgrees(t, body)
	}
	for _, fr := range loadFrames(t) {
		checkScanAgrees(t, fr.raw[HeaderLen:])
	}
}

// FuzzScanAgreesWithLibrary is TestScanAgreesWithLibrary on arbitrary
// bodies.
func FuzzScanAgreesWithLibrary(f *testing.F) {
	for _, body := range scanSeeds(f) {
		f.Add(body)
	}
	for _, fr := range loadFrames(f) {
		f.Add(fr.raw[HeaderLen:])
	}
	f.Fuzz(checkScanAgrees)
}

// TestStrTableBounded: the string table stops growing at maxInterned
// entries and does not keep long strings, but still returns them.
func TestStrTableBounded(t *testing.T) {
	var st strTable
	for i := range 2 * maxInterned {
		require.Equal(t, fmt.Sprint(i), st.str([]byte(fmt.Sprint(i))))
	}
	require.Len(t, st.m, maxInterned)
	long := string(make([]byte, maxInternLen+1))
	require.Equal(t, long, st.str([]byte(long)))
	_, kept := st.m[long]
	require.False(t, kept)
	require.Equal(t, "0", st.value([]byte("0")))
}

// TestScanReadsCommonBodies: the captured sayHello request and its answer
// are read by the scanner, not by the library.
func TestScanReadsCommonBodies(t *testing.T) {
	req := readCapture(t, "sayHello-c2s.bin")
	body := req[HeaderLen:]
	var fields int
	for range 5 {
		_, n, ok := scanString(body)
		require.True(t, ok)
		body, fields = body[n:], fields+1
	}
	args, atts, ok := scanArgs(body, 1, nil, nil, &strTable{})
	require.True(t, ok)
	require.Equal(t, []any{"world"}, args)
	require.Equal(t, "path", atts[0].Key)

	resp := readCapture(t, "sayHello-s2c.bin")
	var r Response
	require.True(t, scanResponse(resp[HeaderLen:], &r, &strTable{}))
	require.Equal(t, "Hello world", r.Value)
	require.Equal(t, map[string]any{"dubbo": "2.0.2"}, r.Attachments)
}

func readCapture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(captures, name))
	require.NoError(t, err)
	return b
}

// respBody is an OK response body of value "v" and the attachment entries
// kv (key, value, …; all short strings) in that order.
func respBody(kv ...string) []byte {
	str := func(b []byte, s string) []byte { return append(append(b, byte(len(s))), s...) }
	b := str([]byte{byte(0x90 + flagValueWithAtts)}, "v")
	b = append(b, tagMap)
	for _, s := range kv {
		b = str(b, s)
	}
	return append(b, tagEnd)
}

func TestScanResponseReusesSameAttachments(t *testing.T) {
	mapID := func(m map[string]any) uintptr { return reflect.ValueOf(m).Pointer() }
	strs := &strTable{}
	var first, r Response
	require.True(t, scanResponse(respBody("dubbo", "2.0.2", "k", "x"), &first, strs))
	require.Equal(t, map[string]any{"dubbo": "2.0.2", "k": "x"}, first.Attachments)

	require.True(t, scanResponse(respBody("dubbo", "2.0.2", "k", "x"), &r, strs))
	require.Equal(t, mapID(first.Attachments), mapID(r.Attachments), "the same entries give the kept map")
	body, plain := respBody("dubbo", "2.0.2", "k", "x"), []byte{byte(0x90 + flagValue), 1, 'v'}
	valueOnly := testing.AllocsPerRun(50, func() { scanResponse(plain, &r, strs) })
	require.Equal(t, valueOnly, testing.AllocsPerRun(50, func() { scanResponse(body, &r, strs) }),
		"the kept attachments cost no allocation")

	tests := []struct {
		name string
		kv   []string
		want map[string]any
	}{
		{"other value", []string{"dubbo", "2.0.2", "k", "y"}, map[string]any{"dubbo": "2.0.2", "k": "y"}},
		{"fewer entries", []string{"dubbo", "2.0.2"}, map[string]any{"dubbo": "2.0.2"}},
		{"more entries", []string{"dubbo", "2.0.2", "k", "x", "l", "z"}, map[string]any{"dubbo": "2.0.2", "k": "x", "l": "z"}},
		{"other order", []string{"k", "x", "dubbo", "2.0.2"}, map[string]any{"dubbo": "2.0.2", "k": "x"}},
		{"repeated key", []string{"dubbo", "2.0.2", "dubbo", "2.0.2"}, map[string]any{"dubbo": "2.0.2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			strs := &strTable{}
			var first, r Response
			require.True(t, scanResponse(respBody("dubbo", "2.0.2", "k", "x"), &first, strs))
			require.True(t, scanResponse(respBody(tt.kv...), &r, strs))
			require.Equal(t, tt.want, r.Attachments)
			require.NotEqual(t, mapID(first.Attachments), mapID(r.Attachments))
			require.Equal(t, map[string]any{"dubbo": "2.0.2", "k": "x"}, first.Attachments, "an earlier result's map is never changed")
		})
	}

	t.Run("repeated key is not kept", func(t *testing.T) {
		strs := &strTable{}
		var a, b Response
		require.True(t, scanResponse(respBody("dubbo", "2.0.2", "dubbo", "2.0.2"), &a, strs))
		require.True(t, scanResponse(respBody("dubbo", "2.0.2"), &b, strs))
		require.Equal(t, map[string]any{"dubbo": "2.0.2"}, b.Attachments)
		require.NotEqual(t, mapID(a.Attachments), mapID(b.Attachments))
	})
}
