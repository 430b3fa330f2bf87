package servicediscovery

import (
	"encoding/binary"
	"errors"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// gate is a dialer that can cut the registry off ZooKeeper and that
// remembers the session ZooKeeper handed out, so a test can expire it.
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

func (g *gate) setDown(down bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.down = down
	if down {
		for _, c := range g.conns {
			_ = c.Close()
		}
		g.conns = nil
	}
}

// sniffConn reads the session id and password from the connect response
// that starts every connection.
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
				body := c.head[4 : 4+size] // protocol version, timeout, session id, password
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

// expire ends the session the gate last saw: it joins it on a connection
// of its own and closes it, as ZooKeeper's timeout would.
func (g *gate) expire(t *testing.T) {
	t.Helper()
	g.mu.Lock()
	sid, passwd := g.sid, append([]byte(nil), g.passwd...)
	g.mu.Unlock()
	require.NotZero(t, sid, "no session seen through the gate")
	c, err := net.DialTimeout("tcp", zkAddr(t), 5*time.Second)
	require.NoError(t, err)
	defer c.Close()
	require.NoError(t, c.SetDeadline(time.Now().Add(10*time.Second)))
	frame := func(body []byte) []byte {
		_, err := c.Write(append(binary.BigEndian.AppendUint32(nil, uint32(len(body))), body...))
		require.NoError(t, err)
		var head [4]byte
		_, err = io.ReadFull(c, head[:])
		require.NoError(t, err)
		resp := make([]byte, binary.BigEndian.Uint32(head[:]))
		_, err = io.ReadFull(c, resp)
		require.NoError(t, err)
		return resp
	}
	req := binary.BigEndian.AppendUint32(nil, 0)   // protocol version
	req = binary.BigEndian.AppendUint64(req, 0)    // last zxid seen
	req = binary.BigEndian.AppendUint32(req, 4000) // timeout
	req = binary.BigEndian.AppendUint64(req, uint64(sid))
	req = binary.BigEndian.AppendUint32(req, uint32(len(passwd)))
	resp := frame(append(req, passwd...))
	require.GreaterOrEqual(t, len(resp), 16)
	require.Equal(t, uint64(sid), binary.BigEndian.Uint64(resp[8:16]), "the session was joined")
	closeReq := binary.BigEndian.AppendUint32(nil, 1)                      // xid
	closeReq = binary.BigEndian.AppendUint32(closeReq, uint32(0xfffffff5)) // closeSession (-11)
	reply := frame(closeReq)
	require.GreaterOrEqual(t, len(reply), 16)
	require.Zero(t, binary.BigEndian.Uint32(reply[12:16]), "closeSession failed")
}

// Cut off from ZooKeeper, a subscriber keeps its list; changes made
// meanwhile arrive once it is back.
func TestChangesWhileCutOffArriveOnReconnect(t *testing.T) {
	e := newEnv(t)
	ms := &metadataService{}
	ms.set(e.metadata(e.app, "r1", nil))
	msPort := exportMetadataService(t, e.app, ms)
	e.mapping(e.app)
	first := e.instance(e.app, 36001, "r1", msPort)
	g := &gate{}
	r := e.open("", WithDialer(g.dial), WithRetryPeriod(100*time.Millisecond))
	rec := &recorder{}
	require.NoError(t, r.Subscribe(ctx, e.consumer(""), rec))
	require.Equal(t, []string{"dubbo://127.0.0.1:36001"}, rec.addrs())

	g.setDown(true)
	e.instance(e.app, 36002, "r1", msPort)
	e.del(first)
	require.Equal(t, []string{"dubbo://127.0.0.1:36001"}, rec.addrs(), "the last list is kept while cut off")
	g.setDown(false)
	rec.waitAddrs(t, "dubbo://127.0.0.1:36002")
}

// After the session expires every watch is gone: the subscriber re-reads
// and watches again on the new session.
func TestSessionExpiryRewatches(t *testing.T) {
	e := newEnv(t)
	ms := &metadataService{}
	ms.set(e.metadata(e.app, "r1", nil))
	msPort := exportMetadataService(t, e.app, ms)
	e.mapping(e.app)
	e.instance(e.app, 37001, "r1", msPort)
	g := &gate{}
	r := e.open("", WithDialer(g.dial), WithRetryPeriod(100*time.Millisecond))
	rec := &recorder{}
	require.NoError(t, r.Subscribe(ctx, e.consumer(""), rec))
	require.Equal(t, []string{"dubbo://127.0.0.1:37001"}, rec.addrs())

	g.expire(t)
	e.instance(e.app, 37002, "r1", msPort)
	rec.waitAddrs(t, "dubbo://127.0.0.1:37001", "dubbo://127.0.0.1:37002")
	// Watches armed on the new session see later changes.
	e.instance(e.app, 37003, "r1", msPort)
	rec.waitAddrs(t, "dubbo://127.0.0.1:37001", "dubbo://127.0.0.1:37002", "dubbo://127.0.0.1:37003")
	require.Equal(t, int64(1), ms.calls.Load())
}
