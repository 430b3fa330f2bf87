package dubbo

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/apache/dubbo-go-hessian2/java_exception"
	"github.com/stretchr/testify/require"

	"github.com/fleetrpc/fleet/protocol"
)

const captures = "testdata/java-dubbo-2.7.23"

// capturedFrame is one line of a *-frames.txt file.
type capturedFrame struct {
	file string
	c2s  bool
	raw  []byte
}

func loadFrames(t testing.TB) []capturedFrame {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(captures, "*-frames.txt"))
	require.NoError(t, err)
	more, err := filepath.Glob(filepath.Join(captures, "userservice", "*-frames.txt"))
	require.NoError(t, err)
	files = append(files, more...)
	require.NotEmpty(t, files)
	var out []capturedFrame
	for _, f := range files {
		data, err := os.ReadFile(f)
		require.NoError(t, err)
		for _, line := range strings.Split(strings.TrimSpace(string(data)), "\n") {
			i := strings.Index(line, "hex=")
			require.True(t, i > 0, "%s: %q", f, line)
			raw, err := hex.DecodeString(strings.TrimSpace(line[i+4:]))
			require.NoError(t, err)
			out = append(out, capturedFrame{file: f, c2s: strings.HasPrefix(line, "c2s"), raw: raw})
		}
	}
	return out
}

func readHex(t testing.TB, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(captures, name))
	require.NoError(t, err)
	raw, err := hex.DecodeString(strings.TrimSpace(string(data)))
	require.NoError(t, err)
	return raw
}

func decodeReq(t testing.TB, frame []byte) *Request {
	t.Helper()
	h, err := ParseHeader(frame)
	require.NoError(t, err)
	require.Equal(t, len(frame)-HeaderLen, h.BodyLen)
	var r Request
	require.NoError(t, DecodeRequestBody(h, frame[HeaderLen:], &r))
	return &r
}

func decodeResp(t testing.TB, frame []byte) *Response {
	t.Helper()
	h, err := ParseHeader(frame)
	require.NoError(t, err)
	require.Equal(t, len(frame)-HeaderLen, h.BodyLen)
	var r Response
	require.NoError(t, DecodeResponseBody(h, frame[HeaderLen:], &r))
	return &r
}

// TestGoldenFramesDecode decodes every captured frame.
func TestGoldenFramesDecode(t *testing.T) {
	for _, f := range loadFrames(t) {
		h, err := ParseHeader(f.raw)
		require.NoError(t, err, f.file)
		require.Equal(t, f.c2s, h.Request, f.file)
		require.Equal(t, Hessian2ID, h.Serialization)
		if h.Request {
			r := decodeReq(t, f.raw)
			if !r.Event {
				require.Equal(t, DubboVersion, r.DubboVersion)
				require.NotEmpty(t, r.Method)
				p, _ := attachment(r.Attachments, "path")
				require.Equal(t, r.Path, p, f.file)
			}
		} else {
			r := decodeResp(t, f.raw)
			require.Equal(t, StatusOK, r.Status, f.file)
			if !r.Event {
				require.Equal(t, map[string]any{"dubbo": "2.0.2"}, r.Attachments, f.file)
			}
		}
	}
}

func attachment(atts []protocol.Attachment, key string) (any, bool) {
	for _, a := range atts {
		if a.Key == key {
			return a.Value, true
		}
	}
	return nil, false
}

// chunkReader returns at most n bytes per Read.
type chunkReader struct {
	r io.Reader
	n int
}

func (c *chunkReader) Read(p []byte) (int, error) {
	if len(p) > c.n {
		p = p[:c.n]
	}
	return c.r.Read(p)
}

// TestGoldenStreamsSplit feeds every captured byte stream to the frame
// reader in small reads and checks it yields the frames of frames.txt.
func TestGoldenStreamsSplit(t *testing.T) {
	frames := loadFrames(t)
	bins, err := filepath.Glob(filepath.Join(captures, "*.bin"))
	require.NoError(t, err)
	more, _ := filepath.Glob(filepath.Join(captures, "userservice", "*.bin"))
	bins = append(bins, more...)
	require.NotEmpty(t, bins)
	for _, bin := range bins {
		stream, err := os.ReadFile(bin)
		require.NoError(t, err)
		c2s := strings.HasSuffix(bin, "-c2s.bin")
		prefix := strings.TrimSuffix(strings.TrimSuffix(bin, "-c2s.bin"), "-s2c.bin")
		var want [][]byte
		for _, f := range frames {
			if f.file == prefix+"-frames.txt" && f.c2s == c2s {
				want = append(want, f.raw)
			}
		}
		require.NotEmpty(t, want, bin)
		for _, chunk := range []int{1, 2, 3, 7, 16, 1 << 20} {
			fr := NewFrameReader(bufio.NewReaderSize(&chunkReader{bytes.NewReader(stream), chunk}, 16), DefaultPayload, "test")
			for i, w := range want {
				h, body, err := fr.ReadFrame()
				require.NoError(t, err, "%s chunk %d frame %d", bin, chunk, i)
				require.Equal(t, w[HeaderLen:], body)
				require.Equal(t, AppendHeader(nil, h), w[:HeaderLen])
				if h.Request {
					var r Request
					require.NoError(t, DecodeRequestBody(h, body, &r))
				} else {
					var r Response
					require.NoError(t, DecodeResponseBody(h, body, &r))
				}
			}
			_, _, err := fr.ReadFrame()
			require.ErrorIs(t, err, io.EOF)
		}
	}
}

func TestGoldenSayHello(t *testing.T) {
	req := decodeReq(t, readHex(t, "sayHello-request.hex"))
	require.Equal(t, "org.apache.dubbo.demo.DemoService", req.Path)
	require.Equal(t, "0.0.0", req.ServiceVersion)
	require.Equal(t, "sayHello", req.Method)
	require.Equal(t, "Ljava/lang/String;", req.Desc)
	require.Equal(t, []any{"world"}, req.Args)
	require.Equal(t, []protocol.Attachment{
		{Key: "path", Value: "org.apache.dubbo.demo.DemoService"},
		{Key: "remote.application", Value: "interop-java-consumer"},
		{Key: "interface", Value: "org.apache.dubbo.demo.DemoService"},
		{Key: "version", Value: "0.0.0"},
	}, req.Attachments)

	resp := decodeResp(t, readHex(t, "sayHello-response.hex"))
	require.Equal(t, "Hello world", resp.Value)
	require.Nil(t, resp.Exception)

	// Encoding the same request with the same id gives the captured bytes.
	got, err := EncodeRequest(nil, &Request{ID: 0, TwoWay: true, Path: req.Path, Method: "sayHello",
		Desc: "Ljava/lang/String;", Args: []any{"world"}, Attachments: req.Attachments}, DefaultPayload, "test")
	require.NoError(t, err)
	require.Equal(t, hex.EncodeToString(readHex(t, "sayHello-request.hex")), hex.EncodeToString(got))

	// And the answer, as fleet's provider writes it.
	got, err = EncodeResponse(nil, &Response{ID: 0, Status: StatusOK, Value: "Hello world"}, true, DefaultPayload, "test")
	require.NoError(t, err)
	require.Equal(t, hex.EncodeToString(readHex(t, "sayHello-response.hex")), hex.EncodeToString(got))
}

func TestGoldenHeartbeat(t *testing.T) {
	req := decodeReq(t, readHex(t, "heartbeat-request.hex"))
	require.True(t, req.IsHeartbeat())
	require.True(t, req.TwoWay)
	got, err := EncodeRequest(nil, &Request{ID: req.ID, TwoWay: true, Event: true}, 0, "")
	require.NoError(t, err)
	require.Equal(t, readHex(t, "heartbeat-request.hex"), got)

	resp := decodeResp(t, readHex(t, "heartbeat-response.hex"))
	require.True(t, resp.Event)
	got, err = EncodeResponse(nil, &Response{ID: resp.ID, Status: StatusOK, Event: true}, false, 0, "")
	require.NoError(t, err)
	require.Equal(t, readHex(t, "heartbeat-response.hex"), got)
}

func TestGoldenExceptions(t *testing.T) {
	for _, c := range []struct{ file, class, msg string }{
		{"exception-response.hex", "java.lang.IllegalArgumentException", "boom: error1"},
		{"userservice/getUserNegative-response.hex", "java.lang.IllegalArgumentException", "negative id"},
	} {
		resp := decodeResp(t, readHex(t, c.file))
		var je *JavaException
		require.True(t, errors.As(resp.Exception, &je), c.file)
		require.Equal(t, c.class, je.Class)
		require.Equal(t, c.msg, je.Message)
		require.Nil(t, je.Cause, "a cause that is the exception itself is no cause")
		require.Len(t, je.StackTrace, 30)
		require.Equal(t, c.class+": "+c.msg, je.Error())
		_, ok := je.Value.(java_exception.Throwabler)
		require.True(t, ok)
	}
}

// TestGoldenUserService checks the values of every userservice capture.
func TestGoldenUserService(t *testing.T) {
	created := time.UnixMilli(1700000000000)
	cases := []struct {
		name   string
		method string
		desc   string
		args   []any
		value  any
	}{
		{"getUser", "getUser", "J", []any{int64(7)}, user(7)},
		{"getUserGroupVersion", "getUser", "J", []any{int64(7)}, user(7)},
		{"listUsers", "listUsers", "I", []any{int32(2)}, []any{user(1), user(2)}},
		{"count", "count", "Ljava/util/List;", []any{[]any{"a", "b", "a"}}, map[any]any{"a": int32(2), "b": int32(1)}},
		{"add", "add", "II", []any{int32(2), int32(3)}, int32(5)},
		{"addLong", "addLong", "JJ", []any{int64(1) << 40, int64(1)}, int64(1)<<40 + 1},
		{"flip", "flip", "Z", []any{true}, false},
		{"half", "half", "D", []any{3.0}, 1.5},
		{"echoBytes", "echoBytes", "[B", []any{[]byte{0, 1, 2, 255}}, []byte{0, 1, 2, 255}},
		{"echoNull", "echo", "Ljava/lang/String;", []any{nil}, nil},
		{"echo", "echo", "Ljava/lang/String;", []any{"héllo, 世界"}, "héllo, 世界"},
		{"ping", "ping", "", nil, nil},
		{"save", "save", "Lorg/apache/dubbo/sample/User;", []any{&User{Status: Suspended, Attrs: map[string]string{"role": "admin"},
			Tags: []string{"x"}, Balance: decimal("99.99"), Created: created, Age: 25, Name: "alice", ID: 41}},
			&User{Status: Suspended, Attrs: map[string]string{"role": "admin"}, Tags: []string{"x"},
				Balance: decimal("99.99"), Created: created, Age: 25, Name: "alice", ID: 42}},
		{"generic", "$invoke", "Ljava/lang/String;[Ljava/lang/String;[Ljava/lang/Object;",
			[]any{"getUser", []string{"long"}, []any{int64(7)}}, genericUser7(created)},
		{"genericIntArg", "$invoke", "Ljava/lang/String;[Ljava/lang/String;[Ljava/lang/Object;",
			[]any{"getUser", []string{"long"}, []any{int32(7)}}, genericUser7(created)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req := decodeReq(t, readHex(t, "userservice/"+c.name+"-request.hex"))
			require.Equal(t, "org.apache.dubbo.sample.UserService", req.Path)
			require.Equal(t, c.method, req.Method)
			require.Equal(t, c.desc, req.Desc)
			require.Equal(t, normalize(c.args), normalize(req.Args))
			resp := decodeResp(t, readHex(t, "userservice/"+c.name+"-response.hex"))
			require.Nil(t, resp.Exception)
			require.Equal(t, normalize(c.value), normalize(resp.Value))
		})
	}
}

func genericUser7(created time.Time) map[any]any {
	return map[any]any{
		"balance": decimal("1234.50"), "created": created, "name": "user-7", "id": int64(7),
		"class": "org.apache.dubbo.sample.User", "age": int32(30), "status": "ACTIVE",
		"tags": []any{"a", "b"}, "attrs": map[any]any{"k": "v"},
	}
}
