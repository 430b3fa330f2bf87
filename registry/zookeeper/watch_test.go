package zookeeper_test

import (
	"context"
	"encoding/binary"
	"errors"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/internal/testutil"
	"github.com/fleetrpc/fleet/registry/zookeeper"
)

// TestWatchSessionLoss: the watch session cut off alone (the main session
// stays up) while providers come and go: a new watch session reads the
// lists again and delivers the difference, never an empty list, and its
// watches work; deleting the category path itself gives an empty list and
// the path back.
func TestWatchSessionLoss(t *testing.T) {
	group := root(t)
	g := &gates{}
	prov := open(t, registryURL(t, group, ""))
	cons := open(t, registryURL(t, group, ""), g.dialers()...)
	p1, p2, p3 := provider(1, ""), provider(2, ""), provider(3, "")
	require.NoError(t, prov.Register(ctx, p1))
	rec := &recorder{}
	require.NoError(t, cons.Subscribe(ctx, consumerURL("&category=providers"), rec))
	require.Equal(t, []string{p1.String()}, rec.last("providers"))

	g.watch.SetDown(true)
	require.NoError(t, prov.Register(ctx, p2))
	require.NoError(t, prov.Unregister(ctx, p1))
	time.Sleep(100 * time.Millisecond) // what the cut-off session would have seen by now
	require.Equal(t, []string{p1.String()}, rec.last("providers"), "the last list is kept while the watch session is cut off")
	g.watch.SetDown(false)
	require.Eventually(t, func() bool {
		got := rec.last("providers")
		return len(got) == 1 && got[0] == p2.String()
	}, testutil.DefaultTimeout, tick, "the new watch session's read delivers the difference")
	require.NoError(t, prov.Register(ctx, p3))
	require.Eventually(t, func() bool { return len(rec.last("providers")) == 2 }, testutil.DefaultTimeout, tick,
		"the new session's watch works")
	require.False(t, rec.sawEmpty("providers", 0))
	require.True(t, cons.Stats().Connected)
	require.Zero(t, cons.Stats().SessionExpiries, "the main session is not touched")

	// The category path deleted: an empty list, and the path back.
	obs := observer(t)
	dir := "/" + group + "/" + svc + "/providers"
	require.NoError(t, prov.Unregister(ctx, p2))
	require.NoError(t, prov.Unregister(ctx, p3))
	require.Eventually(t, func() bool { return rec.sawEmpty("providers", 0) }, testutil.DefaultTimeout, tick)
	from := rec.count()
	require.NoError(t, obs.Delete(dir, -1))
	require.Eventually(t, func() bool {
		ok, _, err := obs.Exists(dir)
		return err == nil && ok && rec.count() > from
	}, testutil.DefaultTimeout, tick, "the path is read again (and created)")
	require.True(t, rec.sawEmpty("providers", from))
	require.NoError(t, prov.Register(ctx, p1))
	require.Eventually(t, func() bool {
		got := rec.last("providers")
		return len(got) == 1 && got[0] == p1.String()
	}, testutil.DefaultTimeout, tick, "the persistent watch outlives the path's deletion")
}

// oldServer is a watch dialer to the real ZooKeeper that plays a server
// before 3.6: it answers addWatch with UNIMPLEMENTED and closes the
// connection, as ZooKeeper's UnimplementedRequestProcessor does.
type oldServer struct{ dials atomic.Int32 }

func (o *oldServer) Dial(network, address string, timeout time.Duration) (net.Conn, error) {
	c, err := net.DialTimeout(network, address, timeout)
	if err != nil {
		return nil, err
	}
	o.dials.Add(1)
	return &oldConn{Conn: c}, nil
}

// oldConn hands the client whole frames of the server, then, once the
// client sent addWatch, the refusal and EOF.
type oldConn struct {
	net.Conn
	buf []byte

	mu      sync.Mutex
	refusal []byte // the reply to addWatch, once asked
	done    bool
}

func (c *oldConn) Write(b []byte) (int, error) {
	// The client writes a request as one frame: length, xid, opcode, body.
	if len(b) >= 12 && int32(binary.BigEndian.Uint32(b[8:12])) == 106 {
		reply := binary.BigEndian.AppendUint32(nil, 16)
		reply = append(reply, b[4:8]...)                                 // xid
		reply = binary.BigEndian.AppendUint64(reply, 0)                  // zxid
		reply = binary.BigEndian.AppendUint32(reply, uint32(0xfffffffa)) // UNIMPLEMENTED (-6)
		c.mu.Lock()
		c.refusal = reply
		c.mu.Unlock()
		_ = c.Conn.Close()
		return len(b), nil
	}
	return c.Conn.Write(b)
}

// SetReadDeadline is the connection's until the refusal, which is read
// from memory.
func (c *oldConn) SetReadDeadline(t time.Time) error {
	c.mu.Lock()
	refused := c.refusal != nil
	c.mu.Unlock()
	if refused {
		return nil
	}
	return c.Conn.SetReadDeadline(t)
}

func (c *oldConn) Read(b []byte) (int, error) {
	for len(c.buf) == 0 {
		var head [4]byte
		_, err := io.ReadFull(c.Conn, head[:])
		var body []byte
		if err == nil {
			body = make([]byte, binary.BigEndian.Uint32(head[:]))
			_, err = io.ReadFull(c.Conn, body)
		}
		if err != nil {
			c.mu.Lock()
			refusal, done := c.refusal, c.done
			c.done = true
			c.mu.Unlock()
			if refusal == nil || done {
				return 0, err
			}
			c.buf = refusal
			break
		}
		c.buf = append(head[:], body...)
	}
	n := copy(b, c.buf)
	c.buf = c.buf[n:]
	return n, nil
}

// records counts the log records whose message contains a text.
type records struct {
	text string
	n    atomic.Int32
}

func (h *records) Enabled(context.Context, slog.Level) bool { return true }
func (h *records) Handle(_ context.Context, r slog.Record) error {
	if strings.Contains(r.Message, h.text) {
		h.n.Add(1)
	}
	return nil
}
func (h *records) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *records) WithGroup(string) slog.Handler      { return h }

// TestFallBackToChildWatches: a server that answers addWatch with
// UNIMPLEMENTED gets child watches from then on, for every subscription,
// logged once, and no more watch sessions.
func TestFallBackToChildWatches(t *testing.T) {
	group := root(t)
	old := &oldServer{}
	logs := &records{text: "does not support persistent watches"}
	prov := open(t, registryURL(t, group, ""))
	cons := open(t, registryURL(t, group, ""), zookeeper.WithWatchDialer(old.Dial), zookeeper.WithLogger(slog.New(logs)))
	p1, p2 := provider(1, ""), provider(2, "")
	other := common.MustParse("dubbo://127.0.0.1:5/com.example.Other?interface=com.example.Other&application=p&side=provider")
	require.NoError(t, prov.Register(ctx, p1))
	require.NoError(t, prov.Register(ctx, other))

	rec := &recorder{}
	require.NoError(t, cons.Subscribe(ctx, consumerURL("&category=providers"), rec))
	require.Equal(t, []string{p1.String()}, rec.last("providers"))
	l := testutil.NewListener(10)
	require.NoError(t, cons.Subscribe(ctx, common.MustParse("consumer://127.0.0.1/com.example.Other?interface=com.example.Other&category=providers"), l))
	require.Equal(t, []string{other.String()}, testutil.Strings(l.Next(t)))

	require.NoError(t, prov.Register(ctx, p2))
	require.Eventually(t, func() bool { return len(rec.last("providers")) == 2 }, testutil.DefaultTimeout, tick,
		"child watches deliver the change")
	require.NoError(t, prov.Unregister(ctx, p1))
	require.Eventually(t, func() bool {
		got := rec.last("providers")
		return len(got) == 1 && got[0] == p2.String()
	}, testutil.DefaultTimeout, tick, "and the next (the child watch is armed again)")
	require.Equal(t, int32(1), logs.n.Load(), "logged once")
	require.Equal(t, int32(1), old.dials.Load(), "no watch session after the refusal")
}

// TestPersistentWatchOff: persistent.watch=false never dials a watch
// session; child watches deliver the changes.
func TestPersistentWatchOff(t *testing.T) {
	group := root(t)
	var dials atomic.Int32
	prov := open(t, registryURL(t, group, ""))
	cons := open(t, registryURL(t, group, "&persistent.watch=false"), zookeeper.WithWatchDialer(
		func(string, string, time.Duration) (net.Conn, error) {
			dials.Add(1)
			return nil, errors.New("no watch session wanted")
		}))
	rec := &recorder{}
	require.NoError(t, cons.Subscribe(ctx, consumerURL("&category=providers"), rec))
	require.True(t, rec.sawEmpty("providers", 0))
	require.NoError(t, prov.Register(ctx, provider(1, "")))
	require.Eventually(t, func() bool { return len(rec.last("providers")) == 1 && !rec.sawEmpty("providers", 1) },
		testutil.DefaultTimeout, tick)
	require.Zero(t, dials.Load())
}
