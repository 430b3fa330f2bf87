package dubbo

import (
	"bytes"
	"errors"
	"log/slog"
	"net"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/fleetrpc/fleet/internal/testutil"
)

// heapInUse returns the live heap after a collection.
func heapInUse() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// dialHolding opens n connections to addr, writes head on each and keeps
// them open until the test ends.
func dialHolding(t *testing.T, addr string, n int, head []byte) []net.Conn {
	t.Helper()
	conns := make([]net.Conn, n)
	for i := range conns {
		c, err := net.Dial("tcp", addr)
		require.NoError(t, err)
		t.Cleanup(func() { _ = c.Close() })
		_, err = c.Write(head)
		require.NoError(t, err)
		conns[i] = c
	}
	return conns
}

// waitClosed reports whether the peer closed c within the default timeout.
func waitClosed(c net.Conn) bool {
	_ = c.SetReadDeadline(time.Now().Add(testutil.DefaultTimeout))
	var b [1]byte
	_, err := c.Read(b[:])
	var ne net.Error
	if err == nil || (errors.As(err, &ne) && ne.Timeout()) {
		return false
	}
	return true
}

// TestHalfFramesDoNotExhaustMemory is issue 18's attack: connections each
// sending a header that announces a body of almost the payload limit plus a
// few bytes, then holding. The provider must not allocate what the headers
// announce (64 × 8 MB = 512 MB before the fix); what it holds stays at the
// read buffers and one first chunk per connection.
func TestHalfFramesDoNotExhaustMemory(t *testing.T) {
	server := newProto(t)
	u := provider(t, server, &userImpl{}, "")
	const conns, announced = 64, DefaultPayload - 1024
	head := AppendHeader(nil, Header{Request: true, TwoWay: true, Serialization: Hessian2ID, ID: 1, BodyLen: announced})
	head = append(head, 0x05, '2', '.', '0', '.', '2')

	before := heapInUse()
	dialHolding(t, u.Address(), conns, head)
	// Every connection's reader has taken its first chunk once the budget
	// shows it: the headers were all read.
	require.Eventually(t, func() bool {
		return server.budget.used.Load() >= conns*minBodyChunk
	}, testutil.DefaultTimeout, 5*time.Millisecond, "the provider read every header")
	held := int64(heapInUse()) - int64(before)
	t.Logf("%d half frames announcing %d bytes each: heap grew by %d bytes", conns, announced, held)
	require.Less(t, held, int64(32<<20), "memory follows what arrived, not what headers announce")
	require.LessOrEqual(t, server.budget.used.Load(), int64(DefaultReadBudget))

	// The provider still serves.
	require.NoError(t, invoke(refer(t, newProto(t), u), "ping", nil).Error())
}

// TestReadBudgetAcrossConnections: bodies that do arrive, on many
// connections at once, are bounded by the protocol's read budget; the
// connections over it are closed and the provider goes on serving.
func TestReadBudgetAcrossConnections(t *testing.T) {
	const budget = 1 << 20
	server := New(WithLogger(quietLogger()), WithGracePeriod(2*time.Second), WithReadBudget(budget))
	t.Cleanup(server.Destroy)
	u := provider(t, server, &userImpl{}, "")
	const conns, announced, sent = 8, 1 << 20, 600 << 10
	head := AppendHeader(nil, Header{Request: true, TwoWay: true, Serialization: Hessian2ID, ID: 1, BodyLen: announced})
	cs := dialHolding(t, u.Address(), conns, head)
	chunk := bytes.Repeat([]byte{'N'}, sent)
	var wg sync.WaitGroup
	for _, c := range cs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _ = c.Write(chunk) // fails once the provider closed c
		}()
	}
	wg.Wait()
	// 8 × 600 KiB arrive against a budget of 1 MiB: at most one body of
	// 1 MiB capacity (or two of 512 KiB) fit, so at least six connections
	// are closed.
	srv := serverOf(t, server, u.Port())
	require.Eventually(t, func() bool {
		srv.mu.Lock()
		defer srv.mu.Unlock()
		return len(srv.conns) <= 2
	}, testutil.DefaultTimeout, 5*time.Millisecond, "connections over the budget are closed")
	require.LessOrEqual(t, server.budget.used.Load(), int64(budget))
	require.NoError(t, invoke(refer(t, newProto(t), u), "ping", nil).Error())
}

// serverOf returns the server p runs on port.
func serverOf(t *testing.T, p *Protocol, port int) *server {
	t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, s := range p.servers {
		if s.port == port {
			return s
		}
	}
	t.Fatalf("no server on port %d", port)
	return nil
}

// TestIdleAndHeaderDeadlines: a provider drops a connection that sends
// nothing for three heartbeats (Java's heartbeat timeout), and one whose
// frame header stops half way.
func TestIdleAndHeaderDeadlines(t *testing.T) {
	server := newProto(t)
	u := provider(t, server, &userImpl{}, "&heartbeat=100")
	silent := dialHolding(t, u.Address(), 1, nil)[0]
	half := dialHolding(t, u.Address(), 1, []byte{magicHigh, magicLow, 0xc2, 0, 0, 0, 0, 0})[0]
	require.True(t, waitClosed(silent), "an idle connection is dropped after 3 × heartbeat")
	require.True(t, waitClosed(half), "a half header is dropped")

	// A connection that keeps sending heartbeats stays.
	live := dialHolding(t, u.Address(), 1, nil)[0]
	hb, err := EncodeRequest(nil, &Request{ID: 7, TwoWay: true, Event: true}, 0, "")
	require.NoError(t, err)
	fr := NewFrameReader(live, 0, "test")
	for range 5 {
		_, err := live.Write(hb)
		require.NoError(t, err)
		_ = live.SetReadDeadline(time.Now().Add(testutil.DefaultTimeout))
		h, _, err := fr.ReadFrame()
		require.NoError(t, err, "a connection that talks is kept")
		require.True(t, h.Event)
	}
}

// TestLoggerLookedUpAtUseTime: the registered protocol, made at package
// load, logs through slog.Default() as it is when it logs.
func TestLoggerLookedUpAtUseTime(t *testing.T) {
	old := slog.Default()
	t.Cleanup(func() { slog.SetDefault(old) })
	var buf syncBuffer
	slog.SetDefault(slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})))

	p := New(WithGracePeriod(time.Second)) // no logger: slog.Default() at use time
	t.Cleanup(p.Destroy)
	provider(t, p, &userImpl{}, "")
	require.Contains(t, buf.String(), `level=INFO msg=listening component=protocol/dubbo`)
}

// syncBuffer is a bytes.Buffer safe for concurrent writers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestIdleDeadlineKeptAcrossRequests: the provider keeps an idle deadline
// set for an earlier request while half of it is left; when it fires
// before the connection was silent for 3 × heartbeat, the connection stays.
func TestIdleDeadlineKeptAcrossRequests(t *testing.T) {
	server := newProto(t)
	u := provider(t, server, &userImpl{}, "&heartbeat=200") // idle: 600 ms
	live := dialHolding(t, u.Address(), 1, nil)[0]
	hb, err := EncodeRequest(nil, &Request{ID: 7, TwoWay: true, Event: true}, 0, "")
	require.NoError(t, err)
	fr := NewFrameReader(live, 0, "test")
	// After a 250 ms gap the deadline (set 250 ms earlier) is kept; the 450
	// ms gap then outlasts it, and the provider moves it instead of closing.
	for _, gap := range []time.Duration{0, 250 * time.Millisecond, 450 * time.Millisecond, 250 * time.Millisecond, 450 * time.Millisecond} {
		time.Sleep(gap)
		_, err := live.Write(hb)
		require.NoError(t, err)
		_ = live.SetReadDeadline(time.Now().Add(testutil.DefaultTimeout))
		h, _, err := fr.ReadFrame()
		require.NoError(t, err, "a connection silent for less than 3 × heartbeat is kept")
		require.True(t, h.Event)
	}
	require.True(t, waitClosed(live), "and dropped once silent for 3 × heartbeat")
}
