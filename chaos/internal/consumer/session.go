package main

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"
)

// sniffer dials the registry's ZooKeeper connections and reads the
// connect response that starts each one, keeping the session id and
// password ZooKeeper handed out, so that expire can end that session.
type sniffer struct {
	mu     sync.Mutex
	sid    int64
	passwd []byte
}

func (s *sniffer) dial(network, address string, timeout time.Duration) (net.Conn, error) {
	c, err := net.DialTimeout(network, address, timeout)
	if err != nil {
		return nil, err
	}
	return &sniffConn{Conn: c, s: s}, nil
}

// sniffConn reads the session out of the first frame it receives.
type sniffConn struct {
	net.Conn
	s    *sniffer
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
	// protocolVersion int32, timeOut int32, sessionId int64, passwd buffer
	if body := c.head[4 : 4+size]; len(body) >= 20 {
		sid := int64(binary.BigEndian.Uint64(body[8:16]))
		plen := int(binary.BigEndian.Uint32(body[16:20]))
		if sid != 0 && plen >= 0 && len(body) >= 20+plen {
			c.s.mu.Lock()
			c.s.sid, c.s.passwd = sid, append([]byte(nil), body[20:20+plen]...)
			c.s.mu.Unlock()
		}
	}
	c.head = nil
	return n, err
}

// expire joins the last session seen on a connection of its own and closes
// it: ZooKeeper ends the session (its ephemeral nodes go, its watches
// fire no more) and the registry's own connection learns it has expired.
func (s *sniffer) expire(address string) (int64, error) {
	s.mu.Lock()
	sid, passwd := s.sid, append([]byte(nil), s.passwd...)
	s.mu.Unlock()
	if sid == 0 {
		return 0, errors.New("no session seen yet")
	}
	c, err := net.DialTimeout("tcp", address, 5*time.Second)
	if err != nil {
		return 0, err
	}
	defer c.Close()
	if err := c.SetDeadline(time.Now().Add(10 * time.Second)); err != nil {
		return 0, err
	}
	req := binary.BigEndian.AppendUint32(nil, 0)          // protocol version
	req = binary.BigEndian.AppendUint64(req, 0)           // last zxid seen
	req = binary.BigEndian.AppendUint32(req, 4000)        // timeout
	req = binary.BigEndian.AppendUint64(req, uint64(sid)) // session id
	req = binary.BigEndian.AppendUint32(req, uint32(len(passwd)))
	req = append(req, passwd...)
	resp, err := roundTrip(c, req)
	if err != nil {
		return 0, fmt.Errorf("join session %#x: %w", sid, err)
	}
	if len(resp) < 16 || int64(binary.BigEndian.Uint64(resp[8:16])) != sid {
		return 0, fmt.Errorf("join session %#x: refused", sid)
	}
	closeReq := binary.BigEndian.AppendUint32(nil, 1)                      // xid
	closeReq = binary.BigEndian.AppendUint32(closeReq, uint32(0xfffffff5)) // closeSession (-11)
	reply, err := roundTrip(c, closeReq)
	if err != nil {
		return 0, fmt.Errorf("close session %#x: %w", sid, err)
	}
	if len(reply) < 16 || binary.BigEndian.Uint32(reply[12:16]) != 0 {
		return 0, fmt.Errorf("close session %#x: failed", sid)
	}
	return sid, nil
}

// roundTrip writes one length-prefixed frame and reads one.
func roundTrip(c net.Conn, body []byte) ([]byte, error) {
	if _, err := c.Write(append(binary.BigEndian.AppendUint32(nil, uint32(len(body))), body...)); err != nil {
		return nil, err
	}
	var head [4]byte
	if _, err := io.ReadFull(c, head[:]); err != nil {
		return nil, err
	}
	n := binary.BigEndian.Uint32(head[:])
	if n > 1<<20 {
		return nil, fmt.Errorf("frame of %d bytes", n)
	}
	resp := make([]byte, n)
	_, err := io.ReadFull(c, resp)
	return resp, err
}
