package dubbo

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
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

// putBodyLen writes the body length into the header at the start of frame.
func putBodyLen(frame []byte, n int) {
	binary.BigEndian.PutUint32(frame[12:16], uint32(n))
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

// FrameReader splits a byte stream into frames. It reads through a
// bufio.Reader, so frames may arrive in any split across reads. It is not
// safe for concurrent use: one goroutine (a connection's reader) owns it.
type FrameReader struct {
	r       *bufio.Reader
	limit   int
	channel string
	hdr     [HeaderLen]byte
	body    []byte // reused between frames
	skip    int    // bytes of an over-limit body still to skip
}

// NewFrameReader returns a reader of frames from r with a payload limit
// (≤ 0: unlimited); channel names the connection in payload errors.
func NewFrameReader(r io.Reader, limit int, channel string) *FrameReader {
	br, ok := r.(*bufio.Reader)
	if !ok || br.Size() < 16<<10 {
		br = bufio.NewReaderSize(r, 32<<10)
	}
	return &FrameReader{r: br, limit: limit, channel: channel}
}

// ReadFrame reads the next frame. The body is valid until the next call.
//
// A body over the payload limit is not read: ReadFrame returns the header
// and a *PayloadError at once. A caller that goes on (a consumer failing
// that id with status 90) calls ReadFrame again, which first skips the
// body; a provider closes the connection instead. ErrBadMagic, io.EOF and
// read errors end the stream.
func (f *FrameReader) ReadFrame() (Header, []byte, error) {
	if f.skip > 0 {
		n := f.skip
		f.skip = 0
		if _, err := f.r.Discard(n); err != nil {
			return Header{}, nil, err
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
	if cap(f.body) < h.BodyLen {
		// Grow in steps so a stream of slowly growing bodies does not
		// reallocate every time; never beyond what the header announced.
		c := max(h.BodyLen, 2*cap(f.body), 512)
		if f.limit > 0 {
			c = min(c, max(f.limit, h.BodyLen))
		}
		f.body = make([]byte, h.BodyLen, c)
	}
	body := f.body[:h.BodyLen]
	if _, err := io.ReadFull(f.r, body); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return h, nil, err
	}
	// Do not keep a huge buffer after a huge frame.
	if cap(f.body) > 1<<20 && h.BodyLen <= 1<<20 {
		f.body = nil
	}
	return h, body, nil
}
