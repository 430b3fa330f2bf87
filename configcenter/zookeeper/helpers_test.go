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
	"github.com/fleetrpc/fleet/configcenter"
	"github.com/fleetrpc/fleet/configcenter/zookeeper"
	"github.com/fleetrpc/fleet/internal/testutil"
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

// namespace returns a fresh root node name for one test.
func namespace(t *testing.T) string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	name := strings.NewReplacer("/", "-", " ", "-").Replace(t.Name())
	return "fleet-cc-" + name + "-" + hex.EncodeToString(b[:])
}

// centerURL is zookeeper://FLEET_ZK?namespace=<ns>&… with extra params.
func centerURL(t *testing.T, ns, extra string) *common.URL {
	return common.MustParse(fmt.Sprintf("zookeeper://%s?namespace=%s&session=4000&timeout=3000%s", zkAddr(t), ns, extra))
}

// open returns a config center closed at cleanup.
func open(t *testing.T, u *common.URL, opts ...zookeeper.Option) *zookeeper.Center {
	t.Helper()
	c, err := zookeeper.New(u, opts...)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, c.Close()) })
	return c
}

// observer is a plain ZooKeeper client; it removes the test's tree at
// cleanup.
func observer(t *testing.T, ns string) *zk.Conn {
	t.Helper()
	c, events, err := zk.Connect([]string{zkAddr(t)}, 4*time.Second, zk.WithLogInfo(false), zk.WithLogger(quiet{}))
	require.NoError(t, err)
	t.Cleanup(func() {
		removeTree(c, "/"+ns)
		c.Close()
		for range events {
		}
	})
	timeout := time.After(testutil.DefaultTimeout)
	for {
		select {
		case ev := <-events:
			if ev.State == zk.StateHasSession {
				return c
			}
		case <-timeout:
			t.Fatalf("observer: no session within %v", testutil.DefaultTimeout)
		}
	}
}

func removeTree(c *zk.Conn, p string) {
	children, _, _ := c.Children(p)
	for _, ch := range children {
		removeTree(c, p+"/"+ch)
	}
	_ = c.Delete(p, -1)
}

type quiet struct{}

func (quiet) Printf(string, ...any) {}

// events collects what a watch delivers.
type events struct{ C chan configcenter.Event }

func newEvents() *events { return &events{C: make(chan configcenter.Event, 32)} }

func (e *events) fn(ev configcenter.Event) { e.C <- ev }

func (e *events) next(t *testing.T) configcenter.Event {
	t.Helper()
	select {
	case ev := <-e.C:
		return ev
	case <-time.After(testutil.DefaultTimeout):
		t.Fatal("no event")
		return configcenter.Event{}
	}
}

func (e *events) none(t *testing.T) {
	t.Helper()
	select {
	case ev := <-e.C:
		t.Fatalf("unexpected event %+v", ev)
	case <-time.After(300 * time.Millisecond):
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

var zkWorld = zk.WorldACL(zk.PermAll)
