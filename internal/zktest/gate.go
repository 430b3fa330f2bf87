package zktest

import (
	"encoding/binary"
	"errors"
	"net"
	"sync"
	"time"
)

// Gate is a dialer (zk.WithDialer) that can cut the client off ZooKeeper,
// closing its connections and refusing new ones, and that remembers the
// session id and password of the last connect response it carried, so the
// session can be expired. Its methods are safe for concurrent use.
type Gate struct {
	mu     sync.Mutex
	down   bool
	conns  []net.Conn
	sid    int64
	passwd []byte
}

// Dial dials address unless the gate is down.
func (g *Gate) Dial(network, address string, timeout time.Duration) (net.Conn, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.down {
		return nil, errors.New("zktest: gate down")
	}
	c, err := net.DialTimeout(network, address, timeout)
	if err != nil {
		return nil, err
	}
	sc := &sniffConn{Conn: c, g: g}
	g.conns = append(g.conns, sc)
	return sc, nil
}

// SetDown cuts (true) or restores (false) the way to ZooKeeper.
func (g *Gate) SetDown(down bool) {
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

// Session is the session id and password last seen; id 0 before any.
func (g *Gate) Session() (int64, []byte) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.sid, append([]byte(nil), g.passwd...)
}

// Expire ends the session last seen on address (Expire) and returns its id.
func (g *Gate) Expire(address string) (int64, error) {
	sid, passwd := g.Session()
	if sid == 0 {
		return 0, errors.New("zktest: no session seen through the gate")
	}
	return sid, Expire(address, sid, passwd)
}

// sniffConn reads the connect response that starts every connection:
// protocolVersion int32, timeOut int32, sessionId int64, passwd buffer.
type sniffConn struct {
	net.Conn
	g    *Gate
	head []byte
	done bool
}

func (c *sniffConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	if c.done || n == 0 {
		return n, err
	}
	c.head = append(c.head, b[:n]...)
	if len(c.head) < 4 {
		return n, err
	}
	size := int(binary.BigEndian.Uint32(c.head))
	if len(c.head) < 4+size {
		return n, err
	}
	c.done = true
	if body := c.head[4 : 4+size]; len(body) >= 20 {
		sid := int64(binary.BigEndian.Uint64(body[8:16]))
		plen := int(binary.BigEndian.Uint32(body[16:20]))
		if sid != 0 && plen >= 0 && len(body) >= 20+plen {
			c.g.mu.Lock()
			c.g.sid, c.g.passwd = sid, append([]byte(nil), body[20:20+plen]...)
			c.g.mu.Unlock()
		}
	}
	c.head = nil
	return n, err
}
