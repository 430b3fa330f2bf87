package zookeeper_test

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/stretchr/testify/require"

	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/internal/testutil"
	"github.com/fleetrpc/fleet/registry/zookeeper"
)

// zkAddr is the ZooKeeper the tests use (FLEET_ZK, set by .ci/run). Without
// it a test skips, unless CI is set: then it fails.
func zkAddr(t *testing.T) string {
	t.Helper()
	addr := os.Getenv("FLEET_ZK")
	if addr != "" {
		return addr
	}
	if os.Getenv("CI") != "" {
		t.Fatal("FLEET_ZK is not set but CI is: .ci/run must start ZooKeeper and export FLEET_ZK=host:port")
	}
	t.Skip("FLEET_ZK is not set: start a ZooKeeper and set FLEET_ZK=host:port to run the ZooKeeper tests (.ci/run does)")
	return ""
}

var ctx = context.Background()

// root returns a fresh root node name for one test, so tests sharing the
// ensemble do not see each other.
func root(t *testing.T) string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	name := strings.NewReplacer("/", "-", " ", "-").Replace(t.Name())
	return "fleet-test-" + name + "-" + hex.EncodeToString(b[:])
}

// registryURL is zookeeper://FLEET_ZK?group=<root>&… with extra params.
func registryURL(t *testing.T, group, extra string) *common.URL {
	return common.MustParse(fmt.Sprintf("zookeeper://%s?group=%s&session=8000&timeout=3000%s", zkAddr(t), group, extra))
}

// open returns a bare registry closed at cleanup.
func open(t *testing.T, u *common.URL, opts ...zookeeper.Option) *zookeeper.Registry {
	t.Helper()
	r, err := zookeeper.New(u, opts...)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, r.Close()) })
	return r
}

// observer is a plain ZooKeeper client for looking at the tree.
func observer(t *testing.T) *zk.Conn {
	t.Helper()
	c, events, err := zk.Connect([]string{zkAddr(t)}, 4*time.Second, zk.WithLogInfo(false), zk.WithLogger(quiet{}))
	require.NoError(t, err)
	t.Cleanup(func() {
		c.Close()
		for range events { // wait for the client's goroutines
		}
	})
	waitState(t, events, zk.StateHasSession)
	return c
}

func waitState(t *testing.T, events <-chan zk.Event, want zk.State) {
	t.Helper()
	timeout := time.After(testutil.DefaultTimeout)
	for {
		select {
		case ev := <-events:
			if ev.State == want {
				return
			}
		case <-timeout:
			t.Fatalf("no %v within %v", want, testutil.DefaultTimeout)
		}
	}
}

type quiet struct{}

func (quiet) Printf(string, ...any) {}

// tree lists every path under p, depth first, children sorted, p first.
func tree(t *testing.T, c *zk.Conn, p string) []string {
	t.Helper()
	out := []string{p}
	children, _, err := c.Children(p)
	require.NoError(t, err, p)
	sortStrings(children)
	for _, ch := range children {
		out = append(out, tree(t, c, p+"/"+ch)...)
	}
	return out
}

func sortStrings(s []string) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

// gate is a dialer that can cut the registry off ZooKeeper (close its
// connections and refuse new ones) and that remembers the session
// credentials ZooKeeper handed out, so a test can expire the session.
type gate struct {
	mu     sync.Mutex
	down   bool
	conns  []net.Conn
	sid    int64
	passwd []byte
}

func (g *gate) dial(network, address string, timeout time.Duration) (net.Conn, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.down {
		return nil, errors.New("gate: down")
	}
	c, err := net.DialTimeout(network, address, timeout)
	if err != nil {
		return nil, err
	}
	sc := &sniffConn{Conn: c, g: g}
	g.conns = append(g.conns, sc)
	return sc, nil
}

// setDown cuts (true) or restores (false) the way to ZooKeeper.
func (g *gate) setDown(down bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.down = down
	if down {
		for _, c := range g.conns {
			c.Close()
		}
		g.conns = nil
	}
}

func (g *gate) session() (int64, []byte) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.sid, append([]byte(nil), g.passwd...)
}

// sniffConn reads the connect response that starts every connection: its
// session id and password.
type sniffConn struct {
	net.Conn
	g    *gate
	head []byte
	done bool
}

func (c *sniffConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	if !c.done && n > 0 {
		c.head = append(c.head, b[:n]...)
		if len(c.head) >= 4 {
			size := int(binary.BigEndian.Uint32(c.head))
			if len(c.head) >= 4+size {
				c.done = true
				// protocolVersion int32, timeOut int32, sessionId int64, passwd buffer
				body := c.head[4 : 4+size]
				if len(body) >= 20 {
					sid := int64(binary.BigEndian.Uint64(body[8:16]))
					plen := int(binary.BigEndian.Uint32(body[16:20]))
					if sid != 0 && plen >= 0 && len(body) >= 20+plen {
						c.g.mu.Lock()
						c.g.sid, c.g.passwd = sid, append([]byte(nil), body[20:20+plen]...)
						c.g.mu.Unlock()
					}
				}
				c.head = nil
			}
		}
	}
	return n, err
}

// expire ends the session the gate last saw, as ZooKeeper would on a
// timeout: it joins the session with its id and password on a connection
// of its own and closes it.
func (g *gate) expire(t *testing.T) int64 {
	t.Helper()
	sid, passwd := g.session()
	require.NotZero(t, sid, "no session seen through the gate")
	c, err := net.DialTimeout("tcp", zkAddr(t), 5*time.Second)
	require.NoError(t, err)
	defer c.Close()
	require.NoError(t, c.SetDeadline(time.Now().Add(testutil.DefaultTimeout)))

	req := binary.BigEndian.AppendUint32(nil, 0)          // protocol version
	req = binary.BigEndian.AppendUint64(req, 0)           // last zxid seen
	req = binary.BigEndian.AppendUint32(req, 4000)        // timeout
	req = binary.BigEndian.AppendUint64(req, uint64(sid)) // session id
	req = binary.BigEndian.AppendUint32(req, uint32(len(passwd)))
	req = append(req, passwd...)
	writeFrame(t, c, req)
	resp := readFrame(t, c)
	require.GreaterOrEqual(t, len(resp), 16)
	require.Equal(t, uint64(sid), binary.BigEndian.Uint64(resp[8:16]), "the session was joined")

	closeReq := binary.BigEndian.AppendUint32(nil, 1)                      // xid
	closeReq = binary.BigEndian.AppendUint32(closeReq, uint32(0xfffffff5)) // closeSession (-11)
	writeFrame(t, c, closeReq)
	reply := readFrame(t, c)
	require.GreaterOrEqual(t, len(reply), 16)
	require.Zero(t, binary.BigEndian.Uint32(reply[12:16]), "closeSession failed")
	return sid
}

func writeFrame(t *testing.T, c net.Conn, body []byte) {
	t.Helper()
	_, err := c.Write(append(binary.BigEndian.AppendUint32(nil, uint32(len(body))), body...))
	require.NoError(t, err)
}

func readFrame(t *testing.T, c net.Conn) []byte {
	t.Helper()
	var head [4]byte
	_, err := io.ReadFull(c, head[:])
	require.NoError(t, err)
	body := make([]byte, binary.BigEndian.Uint32(head[:]))
	_, err = io.ReadFull(c, body)
	require.NoError(t, err)
	return body
}

// categories collects one notification per category.
func categories(t *testing.T, l *testutil.Listener, n int) map[string][]string {
	t.Helper()
	got := map[string][]string{}
	for i := 0; i < n; i++ {
		urls := l.Next(t)
		require.NotEmpty(t, urls)
		c := urls[0].Category()
		_, dup := got[c]
		require.False(t, dup, "category %s notified twice", c)
		got[c] = testutil.Strings(urls)
	}
	return got
}

// recorder keeps every list a listener was notified, for checks that
// watch a whole history (no empty list ever, the last list).
type recorder struct {
	mu    sync.Mutex
	lists [][]*common.URL
}

func (r *recorder) Notify(urls []*common.URL) {
	r.mu.Lock()
	r.lists = append(r.lists, urls)
	r.mu.Unlock()
}

func (r *recorder) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.lists)
}

// last is the last list notified of a category, as strings.
func (r *recorder) last(category string) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i := len(r.lists) - 1; i >= 0; i-- {
		if r.lists[i][0].Category() == category {
			return testutil.Strings(r.lists[i])
		}
	}
	return nil
}

// sawEmpty reports whether an empty:// list of category was notified at
// or after index from.
func (r *recorder) sawEmpty(category string, from int) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, l := range r.lists[from:] {
		if l[0].Category() == category && l[0].Protocol() == common.EmptyProtocol {
			return true
		}
	}
	return false
}
