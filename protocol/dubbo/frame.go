package dubbo

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"sync/atomic"
	"time"
)

// HeaderLen is the length of a frame header.
const HeaderLen = 16

// Frame header constants.
const (
	magicHigh byte = 0xda
	magicLow  byte = 0xbb

	flagRequest byte = 0x80
	flagTwoWay  byte = 0x40
	flagEvent   byte = 0x20
	serialMask  byte = 0x1f

	// Hessian2ID is the serialization id of Hessian2, the only one fleet
	// speaks.
	Hessian2ID byte = 2
)

// DefaultPayload is the default payload limit (param payload), 8 MiB.
const DefaultPayload = 8 << 20

// Header is a decoded frame header.
type Header struct {
	Request       bool  // REQUEST flag: a request or request event
	TwoWay        bool  // TWO_WAY flag: the peer expects an answer
	Event         bool  // EVENT flag: heartbeat or read-only event
	Serialization byte  // serialization id, 2 for Hessian2
	Status        byte  // response status, 0 in requests
	ID            int64 // request id; a response echoes it
	BodyLen       int   // body length in bytes, header excluded
}

// ErrBadMagic is returned for a frame that does not start with DA BB. The
// connection cannot be resynchronised and must be closed.
var ErrBadMagic = errors.New("dubbo: bad magic")

// ParseHeader decodes the 16 bytes of b. It fails only on a bad magic or a
// negative body length; it does not allocate.
func ParseHeader(b []byte) (Header, error) {
	_ = b[HeaderLen-1]
	if b[0] != magicHigh || b[1] != magicLow {
		return Header{}, ErrBadMagic
	}
	n := int32(binary.BigEndian.Uint32(b[12:16]))
	if n < 0 {
		return Header{}, fmt.Errorf("dubbo: negative body length %d", n)
	}
	return Header{
		Request:       b[2]&flagRequest != 0,
		TwoWay:        b[2]&flagTwoWay != 0,
		Event:         b[2]&flagEvent != 0,
		Serialization: b[2] & serialMask,
		Status:        b[3],
		ID:            int64(binary.BigEndian.Uint64(b[4:12])),
		BodyLen:       int(n),
	}, nil
}

// AppendHeader appends the 16-byte encoding of h to dst.
func AppendHeader(dst []byte, h Header) []byte {
	flag := h.Serialization & serialMask
	if h.Request {
		flag |= flagRequest
	}
	if h.TwoWay {
		flag |= flagTwoWay
	}
	if h.Event {
		flag |= flagEvent
	}
	dst = append(dst, magicHigh, magicLow, flag, h.Status)
	dst = binary.BigEndian.AppendUint64(dst, uint64(h.ID))
	return binary.BigEndian.AppendUint32(dst, uint32(h.BodyLen))
}

// PayloadError is a body over the payload limit. Its message is Dubbo's:
// "Data length too large: <len>, max payload: <limit>, channel: <ch>".
type PayloadError struct {
	Len, Limit int
	Channel    string
}

func (e *PayloadError) Error() string {
	return fmt.Sprintf("Data length too large: %d, max payload: %d, channel: %s", e.Len, e.Limit, e.Channel)
}

// checkPayload returns a *PayloadError when n exceeds limit (> 0).
func checkPayload(n, limit int, channel string) error {
	if limit > 0 && n > limit {
		return &PayloadError{Len: n, Limit: limit, Channel: channel}
	}
	return nil
}

// readBufSize is the size of a connection's read buffer: a body that fits
// is parsed where it lies in the buffer, without a copy, and one read
// brings in many small frames.
const readBufSize = 16 << 10

// minBodyChunk is the first step by which a body larger than the read
// buffer grows as its bytes arrive.
const minBodyChunk = 64 << 10

// FrameReader splits a byte stream into frames. It reads through a
// bufio.Reader, so frames may arrive in any split across reads. It is not
// safe for concurrent use: one goroutine (a connection's reader) owns it.
//
// Memory follows what arrived, not what a header announced: a body that
// fits the read buffer is returned from the buffer; a larger one grows in
// steps as its bytes come in (never beyond its announced length), charged
// to a budget shared across connections when the reader has one.
type FrameReader struct {
	r       *bufio.Reader
	limit   int
	channel string
	hdr     [HeaderLen]byte
	body    []byte // the buffer of the last body larger than the read buffer
	skip    int    // bytes of an over-limit body still to skip

	// Set by a server: the budget big bodies are charged to, and the read
	// deadlines of a connection.
	budget *readBudget
	held   int // bytes of budget the body buffer holds
	dl     *deadlines
}

// deadlines are the read deadlines a provider puts on a connection: idle
// before the first byte of a frame (Java's heartbeat timeout, three missed
// heartbeats), header for the rest of a header once it started, and body
// for a body not yet in the buffer. Zero means none.
type deadlines struct {
	conn         interface{ SetReadDeadline(time.Time) error }
	idle, header time.Duration
	body         time.Duration
	armed        bool      // a deadline is set
	idleUntil    time.Time // the deadline set is this idle one (zero: another or none)
}

// set puts a deadline timeout from now on the next reads; zero clears it.
func (d *deadlines) set(timeout time.Duration) {
	d.idleUntil = time.Time{}
	switch {
	case timeout > 0:
		_ = d.conn.SetReadDeadline(time.Now().Add(timeout))
		d.armed = true
	case d.armed:
		_ = d.conn.SetReadDeadline(time.Time{})
		d.armed = false
	}
}

// awaitFirstByte waits in r.Peek(1) for the first byte of a frame, up to
// the idle timeout. An idle deadline set for an earlier wait is kept while
// at least half the idle timeout is left of it (so that a busy connection
// does not change the runtime's timers for every request); if it fires
// before this wait lasted the idle timeout, the deadline is moved and the
// wait goes on. Peek loses no bytes to a deadline.
func (d *deadlines) awaitFirstByte(r *bufio.Reader) error {
	if d.idle <= 0 {
		d.set(0)
		_, err := r.Peek(1)
		return err
	}
	start := time.Now()
	if d.idleUntil.Sub(start) < d.idle/2 {
		d.setIdle(start.Add(d.idle))
	}
	for {
		_, err := r.Peek(1)
		if err == nil || !errors.Is(err, os.ErrDeadlineExceeded) {
			return err
		}
		if time.Since(start) >= d.idle {
			return err
		}
		d.setIdle(start.Add(d.idle))
	}
}

func (d *deadlines) setIdle(until time.Time) {
	_ = d.conn.SetReadDeadline(until)
	d.armed, d.idleUntil = true, until
}

// NewFrameReader returns a reader of frames from r with a payload limit
// (≤ 0: unlimited); channel names the connection in payload errors.
func NewFrameReader(r io.Reader, limit int, channel string) *FrameReader {
	br, ok := r.(*bufio.Reader)
	if !ok || br.Size() < readBufSize {
		br = bufio.NewReaderSize(r, readBufSize)
	}
	return &FrameReader{r: br, limit: limit, channel: channel}
}

// ReadFrame reads the next frame. The body is valid until the next call.
//
// A body over the payload limit is not read: ReadFrame returns the header
// and a *PayloadError at once. A caller that goes on (a consumer failing
// that id with status 90) calls ReadFrame again, which first skips the
// body; a provider closes the connection instead. ErrBadMagic, io.EOF,
// ErrReadBudget and read errors end the stream.
func (f *FrameReader) ReadFrame() (Header, []byte, error) {
	f.release()
	if f.skip > 0 {
		n := f.skip
		f.skip = 0
		if f.r.Buffered() < n && f.dl != nil {
			f.dl.set(f.dl.body)
		}
		if _, err := f.r.Discard(n); err != nil {
			return Header{}, nil, err
		}
	}
	if f.r.Buffered() < HeaderLen && f.dl != nil {
		if f.r.Buffered() == 0 {
			if err := f.dl.awaitFirstByte(f.r); err != nil {
				return Header{}, nil, err
			}
		}
		if f.r.Buffered() < HeaderLen {
			f.dl.set(f.dl.header)
		}
	}
	if _, err := io.ReadFull(f.r, f.hdr[:]); err != nil {
		return Header{}, nil, err
	}
	h, err := ParseHeader(f.hdr[:])
	if err != nil {
		return Header{}, nil, err
	}
	if err := checkPayload(h.BodyLen, f.limit, f.channel); err != nil {
		f.skip = h.BodyLen // skipped by the next call, if there is one
		return h, nil, err
	}
	if f.r.Buffered() < h.BodyLen && f.dl != nil {
		f.dl.set(f.dl.body)
	}
	if h.BodyLen <= f.r.Size() {
		body, err := f.r.Peek(h.BodyLen)
		if err != nil {
			return h, nil, unexpected(err)
		}
		_, _ = f.r.Discard(h.BodyLen)
		return h, body, nil
	}
	body, err := f.readBig(h.BodyLen)
	if err != nil {
		return h, nil, err
	}
	return h, body, nil
}

// frameBuffered reports whether a whole frame is in the read buffer, so
// that ReadFrame returns it without reading.
func (f *FrameReader) frameBuffered() bool {
	n := f.r.Buffered()
	if f.skip > 0 || n < HeaderLen {
		return false
	}
	hdr, err := f.r.Peek(HeaderLen)
	if err != nil {
		return false
	}
	h, err := ParseHeader(hdr)
	return err == nil && n >= HeaderLen+h.BodyLen
}

// readBig reads a body larger than the read buffer into a buffer that
// grows as the bytes arrive, charging the budget for every step.
func (f *FrameReader) readBig(n int) ([]byte, error) {
	buf := f.body[:0]
	for len(buf) < n {
		if len(buf) == cap(buf) {
			c := min(n, max(2*cap(buf), minBodyChunk))
			if !f.budget.acquire(c - f.held) {
				return nil, fmt.Errorf("%w: %s: a body of %d bytes does not fit in %d bytes still free",
					ErrReadBudget, f.channel, n, f.budget.free())
			}
			f.held = c
			nb := make([]byte, len(buf), c)
			copy(nb, buf)
			buf = nb
			f.body = buf
		}
		m, err := f.r.Read(buf[len(buf):min(cap(buf), n)])
		buf = buf[:len(buf)+m]
		if err != nil && len(buf) < n {
			return nil, unexpected(err)
		}
	}
	return buf, nil
}

// release lets go of the buffer of the last big body and its budget.
func (f *FrameReader) release() {
	if f.body == nil {
		return
	}
	f.budget.release(f.held)
	f.body, f.held = nil, 0
}

func unexpected(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// ErrReadBudget ends a provider connection whose request body would take
// the bodies being read on all connections over the protocol's read budget
// (see WithReadBudget).
var ErrReadBudget = errors.New("dubbo: read budget exhausted")

// readBudget bounds the bytes held, across connections, by request bodies
// larger than a read buffer. The first body is always admitted (up to the
// payload limit), so a budget below the payload limit still serves one at a
// time. A nil *readBudget admits everything.
type readBudget struct {
	max  int64
	used atomic.Int64
}

func (b *readBudget) acquire(n int) bool {
	if b == nil || n <= 0 {
		return true
	}
	now := b.used.Add(int64(n))
	if now > b.max && now != int64(n) {
		b.used.Add(-int64(n))
		return false
	}
	return true
}

func (b *readBudget) release(n int) {
	if b != nil && n > 0 {
		b.used.Add(-int64(n))
	}
}

func (b *readBudget) free() int64 {
	return max(0, b.max-b.used.Load())
}

// peekFrame waits until a whole frame is in the read buffer, so that
// ReadFrame returns it without reading. It waits in Peek, which a read
// deadline interrupts without losing bytes (ReadFrame would lose a frame
// interrupted halfway). It returns false when the next frame cannot be had
// that way: a body larger than the read buffer, or one being skipped. A
// header ReadFrame rejects (bad magic, over the payload limit) counts as
// ready: ReadFrame reports it without reading.
func (f *FrameReader) peekFrame() (bool, error) {
	if f.skip > 0 {
		return false, nil
	}
	hdr, err := f.r.Peek(HeaderLen)
	if err != nil {
		return false, err
	}
	h, err := ParseHeader(hdr)
	if err != nil || checkPayload(h.BodyLen, f.limit, f.channel) != nil {
		return true, nil
	}
	if HeaderLen+h.BodyLen > f.r.Size() {
		return false, nil
	}
	if _, err := f.r.Peek(HeaderLen + h.BodyLen); err != nil {
		return false, err
	}
	return true, nil
}
