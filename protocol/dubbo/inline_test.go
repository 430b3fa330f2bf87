package dubbo

import (
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/internal/testutil"
	"github.com/fleetrpc/fleet/protocol"
)

// rawRequest encodes a two-way request for method of the user service.
func rawRequest(t *testing.T, id int64, method, desc string, args ...any) []byte {
	t.Helper()
	frame, err := EncodeRequest(nil, &Request{ID: id, TwoWay: true, Path: userService, Method: method,
		Desc: desc, Args: args,
		Attachments: []protocol.Attachment{{Key: "path", Value: userService}, {Key: "interface", Value: userService}}}, 0, "")
	require.NoError(t, err)
	return frame
}

// With the default dispatcher a lone request is served on the connection's
// reader; a call that runs long there does not hold up the connection:
// another goroutine takes the reading over, and a request sent meanwhile is
// answered first.
func TestInlineCallDoesNotHoldUpTheConnection(t *testing.T) {
	impl := &userImpl{started: make(chan struct{}, 1)}
	exp := exportImpl(t, newProto(t), common.MustParse("dubbo://127.0.0.1:0/"+userService), impl)
	require.False(t, exp.srv.direct)
	c, err := net.Dial("tcp", exp.URL().Address())
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	_ = c.SetReadDeadline(time.Now().Add(testutil.DefaultTimeout))
	fr := NewFrameReader(c, 0, "test")

	// A lone fast call runs on the reader.
	_, err = c.Write(rawRequest(t, 1, "add", "II", int32(1), int32(2)))
	require.NoError(t, err)
	h, body, err := fr.ReadFrame()
	require.NoError(t, err)
	var r Response
	require.NoError(t, DecodeResponseBody(h, body, &r))
	require.Equal(t, int32(3), r.Value)
	require.Equal(t, int64(1), exp.srv.inlined.Load())
	slowCallOvertaken(t, c, fr, impl, 2)
}

// slowCallOvertaken sends a slow call (id) and, once it runs, a fast one
// (id+1), which must be answered first.
func slowCallOvertaken(t *testing.T, c net.Conn, fr *FrameReader, impl *userImpl, id int64) {
	t.Helper()
	var r Response
	// A slow one starts on the reader too; the next request overtakes it.
	_, err := c.Write(rawRequest(t, id, "sleep", "I", int32(2000)))
	require.NoError(t, err)
	select {
	case <-impl.started:
	case <-time.After(testutil.DefaultTimeout):
		t.Fatal("sleep not started")
	}
	start := time.Now()
	_, err = c.Write(rawRequest(t, id+1, "add", "II", int32(2), int32(2)))
	require.NoError(t, err)
	h, body, err := fr.ReadFrame()
	require.NoError(t, err)
	require.Equal(t, id+1, h.ID, "the fast call is answered while the slow one runs")
	require.NoError(t, DecodeResponseBody(h, body, &r))
	require.Equal(t, int32(4), r.Value)
	require.Less(t, time.Since(start), time.Second)
	h, _, err = fr.ReadFrame()
	require.NoError(t, err)
	require.Equal(t, id, h.ID)
}

// The server's guard ticks only while calls are served on readers: it
// stops once they stop, and the next call served on a reader wakes it, so
// a slow call is still handed over.
func TestInlineGuardSleepsAndWakes(t *testing.T) {
	impl := &userImpl{started: make(chan struct{}, 1)}
	exp := exportImpl(t, newProto(t), common.MustParse("dubbo://127.0.0.1:0/"+userService), impl)
	srv := exp.srv
	require.False(t, srv.guardOn.Load(), "no call yet: the guard does not tick")
	c, err := net.Dial("tcp", exp.URL().Address())
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Close() })
	_ = c.SetReadDeadline(time.Now().Add(testutil.DefaultTimeout))
	fr := NewFrameReader(c, 0, "test")
	_, err = c.Write(rawRequest(t, 1, "add", "II", int32(1), int32(2)))
	require.NoError(t, err)
	_, _, err = fr.ReadFrame()
	require.NoError(t, err)
	require.Equal(t, int64(1), srv.inlined.Load())
	require.Eventually(t, func() bool { return !srv.guardOn.Load() }, testutil.DefaultTimeout, time.Millisecond,
		"the guard stops ticking after guardIdleTicks without a call")
	slowCallOvertaken(t, c, fr, impl, 2)
	require.Equal(t, int64(3), srv.inlined.Load(), "the slow call on the first reader, the fast one on the new reader")
}

// A call served on the reader when the exporter is unexported is answered
// before the server closes.
func TestInlineCallGracefulClose(t *testing.T) {
	impl := &userImpl{started: make(chan struct{}, 1)}
	exp := exportImpl(t, newProto(t), common.MustParse("dubbo://127.0.0.1:0/"+userService), impl)
	inv := refer(t, newProto(t), exp.URL())
	done := make(chan protocol.Result, 1)
	go func() { done <- invoke(inv, "sleep", []string{"int"}, 100) }()
	select {
	case <-impl.started:
	case <-time.After(testutil.DefaultTimeout):
		t.Fatal("call not started")
	}
	exp.Unexport()
	res := <-done
	require.NoError(t, res.Error())
	require.Equal(t, "slept", res.Value())
	require.Equal(t, int64(1), exp.srv.inlined.Load())
}
