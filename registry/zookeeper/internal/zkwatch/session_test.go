package zkwatch

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/stretchr/testify/require"

	"github.com/fleetrpc/fleet/internal/zktest"
)

const waitFor = 10 * time.Second

// events collects a session's notifications.
type events struct {
	mu  sync.Mutex
	evs []Event
}

func (e *events) add(ev Event) {
	e.mu.Lock()
	e.evs = append(e.evs, ev)
	e.mu.Unlock()
}

func (e *events) all() []Event {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]Event(nil), e.evs...)
}

// waitEvent waits for an event of typ on p and returns it.
func (e *events) waitEvent(t *testing.T, typ EventType, p string) Event {
	t.Helper()
	var got Event
	require.Eventually(t, func() bool {
		for _, ev := range e.all() {
			if ev.Type == typ && ev.Path == p {
				got = ev
				return true
			}
		}
		return false
	}, waitFor, 5*time.Millisecond, "no event %d on %s", typ, p)
	return got
}

func plain(t *testing.T, addr string) *zk.Conn {
	t.Helper()
	c, evs, err := zk.Connect([]string{addr}, 4*time.Second, zk.WithLogInfo(false))
	require.NoError(t, err)
	t.Cleanup(func() {
		c.Close()
		for range evs {
		}
	})
	return c
}

// TestPersistentRecursiveWatch against a real ZooKeeper: addWatch on a
// path that does not exist yet, then the path's creation, its children's
// and a grandchild's arrive as events numbered with the replies; a read's
// Seq is above the events it already contains.
func TestPersistentRecursiveWatch(t *testing.T) {
	addr := zktest.Addr(t)
	var b [4]byte
	_, _ = rand.Read(b[:])
	root := "/fleet-zkwatch-" + hex.EncodeToString(b[:])
	dir := root + "/providers"
	c := plain(t, addr)
	t.Cleanup(func() {
		for _, p := range []string{dir + "/b/g", dir + "/b", dir + "/a", dir, root} {
			_ = c.Delete(p, -1)
		}
	})

	var evs events
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	s, err := Dial(ctx, Config{Address: addr, SessionTimeout: 4 * time.Second, OnEvent: evs.add})
	require.NoError(t, err)
	defer s.Close()
	require.NotZero(t, s.ID())
	require.NoError(t, s.AddWatch(ctx, dir, PersistentRecursive))
	_, err = s.Children(ctx, dir)
	require.ErrorIs(t, err, ErrNoNode)

	acl := zk.WorldACL(zk.PermAll)
	for _, p := range []string{root, dir, dir + "/a"} {
		_, err := c.Create(p, nil, 0, acl)
		require.NoError(t, err)
	}
	evA := evs.waitEvent(t, EventNodeCreated, dir+"/a")
	got, err := s.Children(ctx, dir)
	require.NoError(t, err)
	require.Equal(t, []string{"a"}, got.Names)
	require.Greater(t, got.Seq, evA.Seq, "the read comes after the event it contains")
	require.NotZero(t, got.Stat.Pzxid)

	_, err = c.Create(dir+"/b", nil, 0, acl)
	require.NoError(t, err)
	_, err = c.Create(dir+"/b/g", nil, 0, acl)
	require.NoError(t, err)
	require.NoError(t, c.Delete(dir+"/a", -1))
	evB := evs.waitEvent(t, EventNodeCreated, dir+"/b")
	evG := evs.waitEvent(t, EventNodeCreated, dir+"/b/g")
	evDel := evs.waitEvent(t, EventNodeDeleted, dir+"/a")
	require.Less(t, got.Seq, evB.Seq)
	require.Less(t, evB.Seq, evG.Seq)
	require.Less(t, evG.Seq, evDel.Seq, "in the server's order")
	require.Equal(t, evs.waitEvent(t, EventNodeCreated, dir).Type, EventNodeCreated, "the path's own creation too")

	s.Close()
	<-s.Done()
	require.ErrorIs(t, s.Err(), ErrClosed)
	_, err = s.Children(ctx, dir)
	require.ErrorIs(t, err, ErrClosed)
}

// TestDigestAuth: credentials are sent before Dial returns, and a node
// readable only with them is read.
func TestDigestAuth(t *testing.T) {
	addr := zktest.Addr(t)
	var b [4]byte
	_, _ = rand.Read(b[:])
	p := "/fleet-zkwatch-auth-" + hex.EncodeToString(b[:])
	c := plain(t, addr)
	require.NoError(t, c.AddAuth("digest", []byte("u:pw")))
	_, err := c.Create(p, nil, 0, zk.DigestACL(zk.PermAll, "u", "pw"))
	require.NoError(t, err)
	t.Cleanup(func() { _ = c.Delete(p, -1) })

	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	anon, err := Dial(ctx, Config{Address: addr, SessionTimeout: 4 * time.Second, OnEvent: func(Event) {}})
	require.NoError(t, err)
	defer anon.Close()
	_, err = anon.Children(ctx, p)
	require.ErrorIs(t, err, ErrNoAuth)

	s, err := Dial(ctx, Config{Address: addr, SessionTimeout: 4 * time.Second, OnEvent: func(Event) {}, Digest: []byte("u:pw")})
	require.NoError(t, err)
	defer s.Close()
	got, err := s.Children(ctx, p)
	require.NoError(t, err)
	require.Empty(t, got.Names)
}

// fakeServer accepts one connection, answers the connect request, then
// runs script on the connection.
func fakeServer(t *testing.T, timeoutMS int32, script func(c net.Conn)) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	done := make(chan struct{})
	t.Cleanup(func() {
		_ = ln.Close()
		<-done
	})
	go func() {
		defer close(done)
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		if _, err := readFrame(c, 0, 1<<10); err != nil {
			return
		}
		var e encoder
		e.int32(0)
		e.int32(0)
		e.int32(timeoutMS)
		e.int64(0x1234)
		e.buffer(make([]byte, 16))
		if _, err := c.Write(withLength(e.b)); err != nil {
			return
		}
		script(c)
	}()
	return ln.Addr().String()
}

// replyFrame is a reply to xid with code and body.
func replyFrame(xid int32, code int32, body []byte) []byte {
	var e encoder
	e.int32(0)
	e.int32(xid)
	e.int64(5)
	e.int32(code)
	e.b = append(e.b, body...)
	return withLength(e.b)
}

// requestXid reads a request frame and returns its xid and opcode.
func requestXid(c net.Conn) (int32, int32, error) {
	b, err := readFrame(c, 8, 1<<20)
	if err != nil {
		return 0, 0, err
	}
	d := decoder{b: b}
	return d.int32(), d.int32(), d.err
}

func dialFake(t *testing.T, addr string) *Session {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	s, err := Dial(ctx, Config{Address: addr, SessionTimeout: 3 * time.Second, OnEvent: func(Event) {}, MaxFrame: 1 << 10})
	require.NoError(t, err)
	t.Cleanup(s.Close)
	return s
}

// TestUnimplemented: an old server answers addWatch with UNIMPLEMENTED
// (and closes the connection); AddWatch says so.
func TestUnimplemented(t *testing.T) {
	addr := fakeServer(t, 3000, func(c net.Conn) {
		xid, op, err := requestXid(c)
		if err != nil || op != opAddWatch {
			return
		}
		_, _ = c.Write(replyFrame(xid, int32(ErrUnimplemented), nil))
	})
	s := dialFake(t, addr)
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	err := s.AddWatch(ctx, "/dubbo/x/providers", PersistentRecursive)
	require.ErrorIs(t, err, ErrUnimplemented)
	select {
	case <-s.Done():
	case <-time.After(waitFor):
		t.Fatal("the session did not end when the server closed the connection")
	}
	require.ErrorIs(t, s.Err(), ErrUnimplemented, "the session says why it ended")
}

// TestBadFrames: what the server sends wrong ends the session with a
// clear error; nothing panics and nothing large is allocated.
func TestBadFrames(t *testing.T) {
	notification := func(body func(*encoder)) []byte {
		var e encoder
		e.int32(0)
		e.int32(xidNotification)
		e.int64(-1)
		e.int32(0)
		body(&e)
		return withLength(e.b)
	}
	cases := map[string]struct {
		frame []byte
		want  error
	}{
		"oversized": {frame: []byte{0x40, 0, 0, 0}, want: ErrBadFrame},
		"negative":  {frame: []byte{0xff, 0xff, 0xff, 0xf0}, want: ErrBadFrame},
		"short":     {frame: withLength(make([]byte, 4+8)), want: ErrBadFrame},
		"event path beyond": {frame: notification(func(e *encoder) {
			e.int32(1)
			e.int32(3)
			e.int32(500)
		}), want: ErrBadFrame},
		"reply to nothing": {frame: replyFrame(77, 0, nil), want: ErrBadFrame},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			addr := fakeServer(t, 3000, func(c net.Conn) {
				_, _ = c.Write(tc.frame)
				_, _, _ = requestXid(c) // until the client closes
			})
			s := dialFake(t, addr)
			select {
			case <-s.Done():
			case <-time.After(waitFor):
				t.Fatal("the session did not end")
			}
			require.ErrorIs(t, s.Err(), tc.want)
		})
	}

	t.Run("bad children reply", func(t *testing.T) {
		addr := fakeServer(t, 3000, func(c net.Conn) {
			xid, _, err := requestXid(c)
			if err != nil {
				return
			}
			_, _ = c.Write(replyFrame(xid, 0, []byte{0x7f, 0xff, 0xff, 0xff}))
			_, _, _ = requestXid(c)
		})
		s := dialFake(t, addr)
		ctx, cancel := context.WithTimeout(context.Background(), waitFor)
		defer cancel()
		_, err := s.Children(ctx, "/x")
		require.ErrorIs(t, err, ErrBadFrame)
		<-s.Done()
	})
}

// TestSilentServer: a server that stops answering (pings included) ends
// the session after two thirds of its timeout.
func TestSilentServer(t *testing.T) {
	release := make(chan struct{})
	addr := fakeServer(t, 600, func(c net.Conn) { <-release })
	defer close(release)
	s := dialFake(t, addr)
	require.Equal(t, 600*time.Millisecond, s.Timeout())
	select {
	case <-s.Done():
	case <-time.After(waitFor):
		t.Fatal("a silent server kept the session")
	}
	var ne net.Error
	require.True(t, errors.As(s.Err(), &ne) && ne.Timeout(), "a read timeout: %v", s.Err())
}

// TestRefused: a connect response without a session is refused.
func TestRefused(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		_, _ = readFrame(c, 0, 1<<10)
		var e encoder
		e.int32(0)
		e.int32(0)
		e.int32(0)
		e.int64(0)
		e.buffer(make([]byte, 16))
		_, _ = c.Write(withLength(e.b))
	}()
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	_, err = Dial(ctx, Config{Address: ln.Addr().String(), SessionTimeout: time.Second, OnEvent: func(Event) {}})
	require.ErrorIs(t, err, ErrRefused)
}
