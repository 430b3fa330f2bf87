package zkwatch

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// ErrBadFrame is wrapped by the errors of a frame that does not decode:
// truncated, a length beyond the frame, a size above the cap.
var ErrBadFrame = errors.New("zkwatch: bad frame")

// encoder appends jute's big-endian encoding to b.
type encoder struct{ b []byte }

func (e *encoder) int32(v int32) { e.b = binary.BigEndian.AppendUint32(e.b, uint32(v)) }
func (e *encoder) int64(v int64) { e.b = binary.BigEndian.AppendUint64(e.b, uint64(v)) }

func (e *encoder) bool(v bool) {
	if v {
		e.b = append(e.b, 1)
	} else {
		e.b = append(e.b, 0)
	}
}

// string is jute's ustring: an int32 length, then the bytes.
func (e *encoder) string(s string) {
	e.int32(int32(len(s)))
	e.b = append(e.b, s...)
}

// buffer is jute's buffer: an int32 length, then the bytes.
func (e *encoder) buffer(p []byte) {
	e.int32(int32(len(p)))
	e.b = append(e.b, p...)
}

// decoder reads jute from b. The first error sticks: later reads return
// zero values, and err says what and where.
type decoder struct {
	b   []byte
	off int
	err error
}

func (d *decoder) fail(what string, need int) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: %s needs %d bytes at offset %d of %d", ErrBadFrame, what, need, d.off, len(d.b))
	}
}

func (d *decoder) left() int { return len(d.b) - d.off }

func (d *decoder) int32() int32 {
	if d.err != nil || d.left() < 4 {
		d.fail("int", 4)
		return 0
	}
	v := int32(binary.BigEndian.Uint32(d.b[d.off:]))
	d.off += 4
	return v
}

func (d *decoder) int64() int64 {
	if d.err != nil || d.left() < 8 {
		d.fail("long", 8)
		return 0
	}
	v := int64(binary.BigEndian.Uint64(d.b[d.off:]))
	d.off += 8
	return v
}

func (d *decoder) bool() bool {
	if d.err != nil || d.left() < 1 {
		d.fail("boolean", 1)
		return false
	}
	v := d.b[d.off] != 0
	d.off++
	return v
}

// bytes reads a length and that many bytes, which alias d.b; a negative
// length (jute's null) gives nil.
func (d *decoder) bytes(what string) []byte {
	n := d.int32()
	if d.err != nil || n < 0 {
		return nil
	}
	if int(n) > d.left() {
		d.fail(what, int(n))
		return nil
	}
	p := d.b[d.off : d.off+int(n) : d.off+int(n)]
	d.off += int(n)
	return p
}

func (d *decoder) string() string { return string(d.bytes("string")) }

// strings reads a vector of ustrings. Its count is checked against what is
// left (each element takes 4 bytes at least) before anything is allocated.
func (d *decoder) strings() []string {
	n := d.int32()
	if d.err != nil || n < 0 {
		return nil
	}
	if int(n) > d.left()/4 {
		d.fail("vector", int(n)*4)
		return nil
	}
	out := make([]string, n)
	for i := range out {
		out[i] = d.string()
		if d.err != nil {
			return nil
		}
	}
	return out
}
