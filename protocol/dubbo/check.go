package dubbo

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// maxHessianDepth bounds the nesting of Hessian values in a body.
const maxHessianDepth = 128

// errHessianDepth and errHessianCount reject bodies the Hessian library
// would recurse or allocate on without bound.
var (
	errHessianDepth = errors.New("hessian value nested too deep")
	errHessianCount = errors.New("hessian length exceeds the body")
)

// checkHessian vets a body before the Hessian library decodes it, so that
// no input makes the decoder allocate more than the body could hold or
// recurse without bound: it walks the values by the Hessian 2 grammar and
// rejects a body that does not follow it (the library is lenient, and reads
// some malformed input as huge lengths), whose declared lengths (strings,
// binaries, lists, class definitions) exceed the bytes left, or whose
// values nest deeper than maxHessianDepth.
func checkHessian(body []byte) error {
	w := walker{b: body}
	for w.pos < len(w.b) {
		if err := w.value(0); err != nil {
			if errors.Is(err, errStop) {
				return fmt.Errorf("malformed hessian value at byte %d", w.pos)
			}
			return err
		}
	}
	return nil
}

// errStop ends the walk: input that does not follow the grammar.
var errStop = errors.New("malformed hessian value")

type walker struct {
	b       []byte
	pos     int
	classes []int // field counts of the class definitions seen
}

func (w *walker) left() int { return len(w.b) - w.pos }

func (w *walker) byte() (byte, error) {
	if w.pos >= len(w.b) {
		return 0, errStop
	}
	c := w.b[w.pos]
	w.pos++
	return c, nil
}

func (w *walker) skip(n int) error {
	if n < 0 || n > w.left() {
		return errHessianCount
	}
	w.pos += n
	return nil
}

// count checks that n elements of at least one byte each can follow.
func (w *walker) count(n int) error {
	if n < 0 || n > w.left() {
		return fmt.Errorf("%w: %d elements, %d bytes left", errHessianCount, n, w.left())
	}
	return nil
}

// int reads a Hessian int (any of its forms).
func (w *walker) int() (int, error) {
	c, err := w.byte()
	if err != nil {
		return 0, err
	}
	switch {
	case c >= 0x80 && c <= 0xbf:
		return int(c) - 0x90, nil
	case c >= 0xc0 && c <= 0xcf:
		b, err := w.byte()
		return (int(c)-0xc8)<<8 | int(b), err
	case c >= 0xd0 && c <= 0xd7:
		if w.left() < 2 {
			return 0, errStop
		}
		v := (int(c)-0xd4)<<16 | int(w.b[w.pos])<<8 | int(w.b[w.pos+1])
		w.pos += 2
		return v, nil
	case c == 'I':
		if w.left() < 4 {
			return 0, errStop
		}
		v := int(int32(binary.BigEndian.Uint32(w.b[w.pos:])))
		w.pos += 4
		return v, nil
	}
	return 0, errStop
}

// chars skips n UTF-16 characters of UTF-8 text.
func (w *walker) chars(n int) error {
	if err := w.count(n); err != nil {
		return err
	}
	for n > 0 {
		c, err := w.byte()
		if err != nil {
			return err
		}
		switch {
		case c < 0x80:
		case c&0xe0 == 0xc0:
			err = w.skip(1)
		case c&0xf0 == 0xe0:
			err = w.skip(2)
		case c&0xf8 == 0xf0:
			err = w.skip(3)
			n-- // a supplementary character is two UTF-16 chars
		default:
			return errStop
		}
		if err != nil {
			return errStop
		}
		n--
	}
	return nil
}

// str skips a string value (all its chunks); null is accepted.
func (w *walker) str() error {
	for {
		c, err := w.byte()
		if err != nil {
			return err
		}
		switch {
		case c <= 0x1f:
			return w.chars(int(c))
		case c >= 0x30 && c <= 0x33:
			b, err := w.byte()
			if err != nil {
				return err
			}
			return w.chars(int(c-0x30)<<8 | int(b))
		case c == 'S' || c == 'R':
			if w.left() < 2 {
				return errStop
			}
			n := int(binary.BigEndian.Uint16(w.b[w.pos:]))
			w.pos += 2
			if err := w.chars(n); err != nil {
				return err
			}
			if c == 'S' {
				return nil
			}
		case c == 'N':
			return nil
		default:
			return errStop
		}
	}
}

// listType skips a list or map type: a string or a type reference (int).
func (w *walker) listType() error {
	if w.pos >= len(w.b) {
		return errStop
	}
	c := w.b[w.pos]
	if c <= 0x1f || (c >= 0x30 && c <= 0x33) || c == 'S' || c == 'R' {
		return w.str()
	}
	_, err := w.int()
	return err
}

// value skips one value.
func (w *walker) value(depth int) error {
	if depth > maxHessianDepth {
		return errHessianDepth
	}
	c, err := w.byte()
	if err != nil {
		return err
	}
	switch {
	case c <= 0x1f, c >= 0x30 && c <= 0x33, c == 'S', c == 'R':
		w.pos--
		return w.str()
	case c >= 0x20 && c <= 0x2f:
		return w.skip(int(c - 0x20))
	case c >= 0x34 && c <= 0x37:
		b, err := w.byte()
		if err != nil {
			return err
		}
		return w.skip(int(c-0x34)<<8 | int(b))
	case c == 'A' || c == 'B':
		for {
			if w.left() < 2 {
				return errStop
			}
			n := int(binary.BigEndian.Uint16(w.b[w.pos:]))
			w.pos += 2
			if err := w.skip(n); err != nil {
				return err
			}
			if c == 'B' {
				return nil
			}
			if c, err = w.byte(); err != nil {
				return err
			}
			if c != 'A' && c != 'B' {
				return errStop
			}
		}
	case c >= 0x38 && c <= 0x3f:
		return w.skip(2)
	case c == 'C':
		if err := w.str(); err != nil {
			return err
		}
		n, err := w.int()
		if err != nil {
			return err
		}
		if err := w.count(n); err != nil {
			return err
		}
		for range n {
			if err := w.str(); err != nil {
				return err
			}
		}
		w.classes = append(w.classes, n)
		return w.value(depth + 1) // the instance that follows
	case c == 'D' || c == 'J' || c == 'L':
		return w.skip(8)
	case c == 'I' || c == 'K' || c == 'Y' || c == 0x5f:
		return w.skip(4)
	case c == 'F' || c == 'T' || c == 'N' || c == 0x5b || c == 0x5c:
		return nil
	case c == 0x5d:
		return w.skip(1)
	case c == 0x5e:
		return w.skip(2)
	case c == 'H' || c == 'M':
		if c == 'M' {
			if err := w.listType(); err != nil {
				return err
			}
		}
		for {
			if w.pos >= len(w.b) {
				return errStop
			}
			if w.b[w.pos] == 'Z' {
				w.pos++
				return nil
			}
			if err := w.value(depth + 1); err != nil {
				return err
			}
			if err := w.value(depth + 1); err != nil {
				return err
			}
		}
	case c == 'O' || (c >= 0x60 && c <= 0x6f):
		idx := int(c) - 0x60
		if c == 'O' {
			if idx, err = w.int(); err != nil {
				return err
			}
		}
		if idx < 0 || idx >= len(w.classes) {
			return errStop
		}
		for range w.classes[idx] {
			if err := w.value(depth + 1); err != nil {
				return err
			}
		}
		return nil
	case c == 'Q':
		_, err := w.int()
		return err
	case c == 'U' || c == 'W':
		if c == 'U' {
			if err := w.listType(); err != nil {
				return err
			}
		}
		for {
			if w.pos >= len(w.b) {
				return errStop
			}
			if w.b[w.pos] == 'Z' {
				w.pos++
				return nil
			}
			if err := w.value(depth + 1); err != nil {
				return err
			}
		}
	case c == 'V' || c == 'X' || (c >= 0x70 && c <= 0x7f):
		if c == 'V' || (c >= 0x70 && c <= 0x77) {
			if err := w.listType(); err != nil {
				return err
			}
		}
		var n int
		switch {
		case c >= 0x70 && c <= 0x77:
			n = int(c - 0x70)
		case c >= 0x78:
			n = int(c - 0x78)
		default:
			if n, err = w.int(); err != nil {
				return err
			}
		}
		if err := w.count(n); err != nil {
			return err
		}
		for range n {
			if err := w.value(depth + 1); err != nil {
				return err
			}
		}
		return nil
	case c >= 0x80 && c <= 0xbf, c >= 0xd8 && c <= 0xef:
		return nil
	case c >= 0xc0 && c <= 0xcf, c >= 0xf0:
		return w.skip(1)
	case c >= 0xd0 && c <= 0xd7:
		return w.skip(2)
	}
	return errStop
}
