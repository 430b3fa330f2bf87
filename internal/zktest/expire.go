package zktest

import (
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"time"
)

// Expire ends session sid on the ZooKeeper server at address as the
// server does when the session times out: it joins the session with its
// password on a connection of its own and closes it. The session's
// ephemeral nodes go, and its own client learns, when it next talks to the
// server, that the session expired.
func Expire(address string, sid int64, passwd []byte) error {
	c, err := net.DialTimeout("tcp", address, 5*time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.SetDeadline(time.Now().Add(10 * time.Second)); err != nil {
		return err
	}
	req := binary.BigEndian.AppendUint32(nil, 0)          // protocol version
	req = binary.BigEndian.AppendUint64(req, 0)           // last zxid seen
	req = binary.BigEndian.AppendUint32(req, 4000)        // timeout
	req = binary.BigEndian.AppendUint64(req, uint64(sid)) // session id
	req = binary.BigEndian.AppendUint32(req, uint32(len(passwd)))
	req = append(req, passwd...)
	resp, err := roundTrip(c, req)
	if err != nil {
		return fmt.Errorf("zktest: join session %#x: %w", sid, err)
	}
	if len(resp) < 16 || int64(binary.BigEndian.Uint64(resp[8:16])) != sid {
		return fmt.Errorf("zktest: join session %#x: refused", sid)
	}
	closeReq := binary.BigEndian.AppendUint32(nil, 1)                      // xid
	closeReq = binary.BigEndian.AppendUint32(closeReq, uint32(0xfffffff5)) // closeSession (-11)
	reply, err := roundTrip(c, closeReq)
	if err != nil {
		return fmt.Errorf("zktest: close session %#x: %w", sid, err)
	}
	if len(reply) < 16 || binary.BigEndian.Uint32(reply[12:16]) != 0 {
		return fmt.Errorf("zktest: close session %#x: failed", sid)
	}
	return nil
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
