package dubbo

import (
	"encoding/binary"
	"math"

	"github.com/fleetrpc/fleet/protocol"
)

// The common bodies — calls whose arguments are strings and numbers, answers
// of such a value, string attachments — are read here straight from the
// bytes; a body holding anything else (a list, a map argument, an object,
// a reference, an exception) is read by the Hessian library from its start.
// Both ways give the same values (pinned by a differential fuzz test).

// strTable interns the short strings a connection's reader decodes again
// and again (service names, versions, method names, descriptors, attachment
// keys and values), boxed once, so that reading them allocates nothing. It
// is owned by one reader goroutine. It stops growing at maxInterned entries;
// strings longer than maxInternLen are not interned.
//
// It also keeps the last response attachments map it built (atts): a
// connection's answers mostly carry the same attachments (the provider's
// "dubbo" version), so an answer whose attachments are the same entries in
// the same order gets that map again instead of a new one. Results share it; their callers must not
// modify it (protocol.Result.Attachments says so).
type strTable struct {
	m        map[string]any
	atts     map[string]any
	attsKeys []string // atts' keys in the order they came
}

// maxSharedAtts is the largest attachments map strTable keeps for reuse.
const maxSharedAtts = 8

const (
	maxInterned  = 256
	maxInternLen = 64
)

// value returns b as a boxed string, interned when t is not nil.
func (t *strTable) value(b []byte) any {
	if t == nil || len(b) > maxInternLen {
		return string(b)
	}
	if v, ok := t.m[string(b)]; ok {
		return v
	}
	s := string(b)
	var v any = s
	if t.m == nil {
		t.m = make(map[string]any)
	}
	if len(t.m) < maxInterned {
		t.m[s] = v
	}
	return v
}

// str returns b as a string, interned when t is not nil.
func (t *strTable) str(b []byte) string {
	if t == nil {
		return string(b)
	}
	return t.value(b).(string)
}

// scanString reads a string or null at the start of b in the forms
// readString takes, returning its UTF-8 bytes (nil for null), the bytes it
// took, and true; false for anything else.
func scanString(b []byte) (raw []byte, n int, ok bool) {
	if len(b) == 0 {
		return nil, 0, false
	}
	var chars, pos int
	switch c := b[0]; {
	case c == tagNull:
		return nil, 1, true
	case c <= 0x1f:
		chars, pos = int(c), 1
	case c >= 0x30 && c <= 0x33:
		if len(b) < 2 {
			return nil, 0, false
		}
		chars, pos = int(c-0x30)<<8|int(b[1]), 2
	case c == 'S':
		if len(b) < 3 {
			return nil, 0, false
		}
		chars, pos = int(b[1])<<8|int(b[2]), 3
	default:
		return nil, 0, false
	}
	start := pos
	for range chars {
		if pos >= len(b) {
			return nil, 0, false
		}
		c := b[pos]
		switch {
		case c < 0x80:
			pos++
		case c >= 0xc2 && c <= 0xdf:
			pos += 2
		case c >= 0xe0 && c <= 0xef:
			if c == 0xed && pos+1 < len(b) && b[pos+1] >= 0xa0 {
				return nil, 0, false // a surrogate: Java's form of a supplementary character
			}
			pos += 3
		default:
			return nil, 0, false
		}
	}
	if pos > len(b) || !validUTF8(b[start:pos]) {
		return nil, 0, false
	}
	return b[start:pos:pos], pos, true
}

// scanValue reads a value of a common kind at the start of b: null, a
// boolean, an int (int32), a long (int64), a double (float64) or a string
// scanString takes (interned in strs when it is not nil), as the Hessian
// library decodes them. ok is false for any other value and for truncated
// input.
func scanValue(b []byte, strs *strTable) (v any, n int, ok bool) {
	if len(b) == 0 {
		return nil, 0, false
	}
	c := b[0]
	switch {
	case c == tagNull:
		return nil, 1, true
	case c == 'T':
		return true, 1, true
	case c == 'F':
		return false, 1, true
	case c >= 0x80 && c <= 0xbf:
		return int32(c) - 0x90, 1, true
	case c >= 0xc0 && c <= 0xcf:
		if len(b) < 2 {
			return nil, 0, false
		}
		return (int32(c)-0xc8)<<8 | int32(b[1]), 2, true
	case c >= 0xd0 && c <= 0xd7:
		if len(b) < 3 {
			return nil, 0, false
		}
		return (int32(c)-0xd4)<<16 | int32(b[1])<<8 | int32(b[2]), 3, true
	case c == 'I':
		if len(b) < 5 {
			return nil, 0, false
		}
		return int32(binary.BigEndian.Uint32(b[1:5])), 5, true
	case c >= 0xd8 && c <= 0xef:
		return int64(c) - 0xe0, 1, true
	case c >= 0xf0:
		if len(b) < 2 {
			return nil, 0, false
		}
		return (int64(c)-0xf8)<<8 | int64(b[1]), 2, true
	case c >= 0x38 && c <= 0x3f:
		if len(b) < 3 {
			return nil, 0, false
		}
		return (int64(c)-0x3c)<<16 | int64(b[1])<<8 | int64(b[2]), 3, true
	case c == 0x59:
		if len(b) < 5 {
			return nil, 0, false
		}
		return int64(int32(binary.BigEndian.Uint32(b[1:5]))), 5, true
	case c == 'L':
		if len(b) < 9 {
			return nil, 0, false
		}
		return int64(binary.BigEndian.Uint64(b[1:9])), 9, true
	case c == 0x5b:
		return float64(0), 1, true
	case c == 0x5c:
		return float64(1), 1, true
	case c == 0x5d:
		if len(b) < 2 {
			return nil, 0, false
		}
		return float64(int8(b[1])), 2, true
	case c == 0x5e:
		if len(b) < 3 {
			return nil, 0, false
		}
		return float64(int16(binary.BigEndian.Uint16(b[1:3]))), 3, true
	case c == 0x5f:
		if len(b) < 5 {
			return nil, 0, false
		}
		return float64(int32(binary.BigEndian.Uint32(b[1:5]))) / 1000, 5, true
	case c == 'D':
		if len(b) < 9 {
			return nil, 0, false
		}
		return math.Float64frombits(binary.BigEndian.Uint64(b[1:9])), 9, true
	}
	raw, n, ok := scanString(b)
	if !ok || raw == nil { // null was handled above
		return nil, 0, false
	}
	if strs != nil {
		return strs.value(raw), n, true
	}
	return string(raw), n, true
}

// scanArgs reads n arguments into args (appended) and the attachment map
// after them into atts (appended; interned in strs): an untyped map 'H' of
// string keys and scanValue values ending with 'Z', or null, or nothing.
// ok is false when any of it is not of those kinds.
func scanArgs(b []byte, n int, args []any, atts []protocol.Attachment, strs *strTable) ([]any, []protocol.Attachment, bool) {
	for range n {
		v, m, ok := scanValue(b, nil)
		if !ok {
			return nil, nil, false
		}
		args = append(args, v)
		b = b[m:]
	}
	if len(b) == 0 || b[0] == tagNull {
		return args, atts, true
	}
	if b[0] != tagMap {
		return nil, nil, false
	}
	b = b[1:]
	for {
		if len(b) == 0 {
			return nil, nil, false
		}
		if b[0] == tagEnd {
			return args, atts, true
		}
		k, m, ok := scanString(b)
		if !ok || k == nil {
			return nil, nil, false
		}
		b = b[m:]
		v, m, ok := scanValue(b, strs)
		if !ok {
			return nil, nil, false
		}
		b = b[m:]
		if atts == nil {
			atts = make([]protocol.Attachment, 0, 8)
		}
		atts = append(atts, protocol.Attachment{Key: strs.str(k), Value: v})
	}
}

// scanResponse reads an OK response body whose value, if any, scanValue
// takes and whose attachments, if any, are an untyped map of string keys
// and scanValue values (interned in strs). ok is false for anything else,
// exceptions included; r is then unchanged.
func scanResponse(body []byte, r *Response, strs *strTable) bool {
	if len(body) == 0 || body[0] < 0x90+flagException || body[0] > 0x90+flagNullWithAtts {
		return false
	}
	flag := int(body[0]) - 0x90
	b := body[1:]
	var value any
	switch flag {
	case flagException, flagExceptionWithAtts:
		return false
	case flagValue, flagValueWithAtts:
		v, n, ok := scanValue(b, nil)
		if !ok {
			return false
		}
		value, b = v, b[n:]
	}
	if flag < flagExceptionWithAtts {
		r.Value = value
		return true
	}
	if len(b) == 0 || b[0] != tagMap && b[0] != tagNull {
		return false
	}
	var atts map[string]any
	if b[0] == tagMap {
		if shared, ok := strs.sameAtts(b[1:]); ok {
			r.Value, r.Attachments = value, shared
			return true
		}
		atts = make(map[string]any, 2)
		entries := 0
		if strs != nil {
			strs.atts, strs.attsKeys = nil, strs.attsKeys[:0]
		}
		for b = b[1:]; ; {
			if len(b) == 0 {
				return false
			}
			if b[0] == tagEnd {
				break
			}
			k, n, ok := scanString(b)
			if !ok || k == nil {
				return false
			}
			b = b[n:]
			v, n, ok := scanValue(b, strs)
			if !ok {
				return false
			}
			b = b[n:]
			key := strs.str(k)
			atts[key] = v
			entries++
			if strs != nil && entries <= maxSharedAtts {
				strs.attsKeys = append(strs.attsKeys, key)
			}
		}
		if strs != nil && entries == len(atts) && entries <= maxSharedAtts {
			strs.atts = atts // no repeated key: the keys are atts' keys
		}
	}
	r.Value, r.Attachments = value, atts
	return true
}

// sameAtts reports whether the attachment entries at the start of b (after
// the map tag, up to its end) are exactly those of the kept map, keys in
// the same order, returning it then. It allocates nothing; any entry it cannot read or that differs
// is a miss (scanResponse then reads the map the usual way).
func (t *strTable) sameAtts(b []byte) (map[string]any, bool) {
	if t == nil || t.atts == nil {
		return nil, false
	}
	n := 0
	for {
		if len(b) == 0 {
			return nil, false
		}
		if b[0] == tagEnd {
			if n != len(t.atts) {
				return nil, false
			}
			return t.atts, true
		}
		if n == len(t.attsKeys) {
			return nil, false
		}
		k, m, ok := scanString(b)
		if !ok || k == nil || string(k) != t.attsKeys[n] {
			return nil, false
		}
		b = b[m:]
		kept := t.atts[t.attsKeys[n]]
		v, m, ok := scanValue(b, t)
		if !ok || v != kept { // scanValue's kinds are all comparable
			return nil, false
		}
		b = b[m:]
		n++
	}
}
