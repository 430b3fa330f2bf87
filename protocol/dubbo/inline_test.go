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

// The server's guard watches only the readers that served calls lately and
// ticks only while it watches one: it stops once calls stop, and the next
// call served on a reader wakes it, so a slow call is still handed over.
func TestInlineGuardSleepsAndWakes(t *testing.T) {
	impl := &userImpl{started: make(chan struct{}, 1)}
	exp := exportImpl(t, newProto(t), common.MustParse("dubbo://127.0.0.1:0/"+userService), impl)
	srv := exp.srv
	watched := func() int {
		srv.watchMu.Lock()
		defer srv.watchMu.Unlock()
		return len(srv.watched)
	}
	require.False(t, srv.guardOn.Load(), "no call yet: the guard does not tick")
	idle, err := net.Dial("tcp", exp.URL().Address())
	require.NoError(t, err)
	t.Cleanup(func() { _ = idle.Close() })
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
	// The connection that served a call is watched (until it has been quiet
	// for guardIdleTicks), the idle one never.
	require.LessOrEqual(t, watched(), 1)
	require.Eventually(t, func() bool { return !srv.guardOn.Load() && watched() == 0 }, testutil.DefaultTimeout, time.Millisecond,
		"the guard stops watching and ticking after guardIdleTicks without a call")
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

// The guard's bookkeeping per reader: a reader serving a call or that began
// one since the last tick stays watched; one quiet for guardIdleTicks ticks
// is dropped and unlisted.
func TestGuardCheck(t *testing.T) {
	s := &server{}
	now := nanotime()
	tests := []struct {
		name         string
		inline       uint64
		since, seen  int64
		quiet        int
		kept, listed bool
		wantQuiet    int
	}{
		{"serving a young call", 7, now - int64(inlineGuard)/2, now - 1, 3, true, true, 0},
		{"a new call since the last tick", 0, now - 10, now - 20, guardIdleTicks - 1, true, true, 0},
		{"quiet, not yet long", 0, now - 10, now - 10, 3, true, true, 4},
		{"quiet for guardIdleTicks", 0, now - 10, now - 10, guardIdleTicks - 1, false, false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rd := &connReader{seen: tt.seen, quiet: tt.quiet}
			rd.inline.Store(tt.inline)
			rd.since.Store(tt.since)
			rd.listed.Store(true)
			require.Equal(t, tt.kept, s.check(rd, now))
			require.Equal(t, tt.listed, rd.listed.Load())
			require.Equal(t, tt.wantQuiet, rd.quiet)
			require.Equal(t, tt.inline, rd.inline.Load(), "a young call is not handed over")
		})
	}
}
