package dubbo

import (
	"fmt"
	"math"
	"reflect"
	"unicode/utf8"
	"unsafe"

	hessian "github.com/apache/dubbo-go-hessian2"
)

// Hessian2 tags this package writes itself.
const (
	tagNull        byte = 'N'
	tagMap         byte = 'H'
	tagEnd         byte = 'Z'
	tagClassDef    byte = 'C'
	tagObjectShort byte = 0x60
	tagListShort   byte = 0x70 // typed fixed list of 0..7 elements
	tagListFixed   byte = 'V'
)

// getDecoder returns a decoder of b. Decoders are not pooled: the Hessian
// library's Reset keeps the reference holders of earlier bodies, which
// would make every later decode slower. Its read buffer is sized to the
// body (at most 4 KiB).
func getDecoder(b []byte) *hessian.Decoder {
	return hessian.NewDecoderSize(b, min(max(len(b), 16), 4096))
}

// writeTypedList writes a typed fixed-length list as Java's Hessian2Output
// does: 0x70+n for up to 7 elements, else 'V', then the type name, the
// length (long form only) and the elements, each converted by elem.
func writeTypedList(e *encoder, typ string, rv reflect.Value, elem func(any) (any, error)) error {
	n := rv.Len()
	if n <= 7 {
		e.Append([]byte{tagListShort + byte(n)})
		if err := e.Encode(typ); err != nil {
			return err
		}
	} else {
		e.Append([]byte{tagListFixed})
		if err := e.Encode(typ); err != nil {
			return err
		}
		if err := e.Encode(int32(n)); err != nil {
			return err
		}
	}
	for i := range n {
		v := rv.Index(i).Interface()
		if elem != nil && v != nil {
			var err error
			if v, err = elem(v); err != nil {
				return fmt.Errorf("element %d: %w", i, err)
			}
		}
		if err := e.Encode(v); err != nil {
			return err
		}
	}
	return nil
}

// Hessian list type names of Java arrays, by descriptor.
var arrayListTypes = map[string]struct {
	name string
	elem func(any) (any, error)
}{
	"[Ljava/lang/String;": {"[string", nil},
	"[Ljava/lang/Object;": {"[object", nil},
	"[I":                  {"[int", toInt32},
	"[J":                  {"[long", toInt64},
	"[S":                  {"[short", toInt32},
	"[Z":                  {"[boolean", nil},
	"[D":                  {"[double", toFloat64},
	"[F":                  {"[float", toFloat64},
}

// Java collection classes a List-like parameter is sent as.
var collectionListTypes = map[string]string{
	"Ljava/util/List;":       "java.util.ArrayList",
	"Ljava/util/ArrayList;":  "java.util.ArrayList",
	"Ljava/util/Collection;": "java.util.ArrayList",
	"Ljava/util/LinkedList;": "java.util.LinkedList",
	"Ljava/util/Set;":        "java.util.HashSet",
	"Ljava/util/HashSet;":    "java.util.HashSet",
}

// writeArg writes one argument of a call, guided by its declared JVM
// descriptor tok so that Java reads the type it declared: numbers are
// converted to the declared width (int → I, long → J, double → D), Go slices
// declared as java.util.List travel as java.util.ArrayList, slices declared
// as Java arrays as Hessian typed arrays ("[string", "[object", "[int").
// Anything else is written by the Hessian library as is.
func writeArg(e *encoder, tok string, v any) error {
	if v == nil {
		e.Append([]byte{tagNull})
		return nil
	}
	var err error
	switch tok {
	case "I", "S", "B", "Ljava/lang/Integer;", "Ljava/lang/Short;", "Ljava/lang/Byte;":
		if v, err = toInt32(deref(v)); err != nil {
			return err
		}
	case "J", "Ljava/lang/Long;":
		if v, err = toInt64(deref(v)); err != nil {
			return err
		}
	case "D", "F", "Ljava/lang/Double;", "Ljava/lang/Float;":
		if v, err = toFloat64(deref(v)); err != nil {
			return err
		}
	case "Z", "Ljava/lang/Boolean;", "Ljava/lang/String;":
		v = deref(v)
	default:
		if typ, ok := collectionListTypes[tok]; ok {
			if rv := reflect.ValueOf(v); isList(rv) {
				return writeTypedList(e, typ, rv, nil)
			}
		} else if at, ok := arrayListTypes[tok]; ok {
			if rv := reflect.ValueOf(v); isList(rv) {
				return writeTypedList(e, at.name, rv, at.elem)
			}
		}
	}
	return writeValue(e, v)
}

// writeString writes s as Java's Hessian2Output does. Strings of up to
// 0x8000 characters in the Basic Multilingual Plane (the usual case) are
// written here without allocating; others (supplementary characters, which
// Java writes as surrogate pairs, invalid UTF-8, longer strings in chunks)
// by the Hessian library.
func writeString(e *encoder, s string) error {
	n := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			i++
			n++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError || size == 4 {
			return e.Encode(s)
		}
		i += size
		n++
	}
	if n > 0x8000 {
		return e.Encode(s)
	}
	var hdr [3]byte
	switch {
	case n <= 0x1f:
		hdr[0] = byte(n)
		e.Append(hdr[:1])
	case n <= 0x3ff:
		hdr[0], hdr[1] = 0x30+byte(n>>8), byte(n)
		e.Append(hdr[:2])
	default:
		hdr[0], hdr[1], hdr[2] = 'S', byte(n>>8), byte(n)
		e.Append(hdr[:3])
	}
	e.Append(unsafe.Slice(unsafe.StringData(s), len(s)))
	return nil
}

// readString reads a string or null at the start of b when it is in a
// short form (up to 1023 characters, or one 'S' chunk) of characters in
// the Basic Multilingual Plane outside the surrogates, returning it, the
// bytes it took, and true. Anything else returns false: the caller leaves
// it to the Hessian library.
func readString(b []byte) (string, int, bool) {
	raw, n, ok := scanString(b)
	if !ok {
		return "", 0, false
	}
	return string(raw), n, true
}

func validUTF8(b []byte) bool { return utf8.Valid(b) }

// writeValue writes v with the Hessian library, except what Java's
// Hessian2Output writes in another form the library does not use: a double
// (the compact forms 5b–5f, as hessian-lite) and a nil pointer, slice or map
// held in an interface (null).
func writeValue(e *encoder, v any) error {
	if isNil(v) {
		e.Append([]byte{tagNull})
		return nil
	}
	switch x := v.(type) {
	case string:
		return writeString(e, x)
	case float64:
		var buf [9]byte
		e.Append(appendDouble(buf[:0], x))
		return nil
	}
	return e.Encode(v)
}

// isNil reports whether v is nil or a nil pointer, slice or map.
func isNil(v any) bool {
	if v == nil {
		return true
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Pointer, reflect.Slice, reflect.Map, reflect.Interface:
		return rv.IsNil()
	}
	return false
}

// appendDouble encodes a double as hessian-lite does: 5b (0.0), 5c (1.0),
// 5d + byte, 5e + short for whole numbers in those ranges, 5f + an int
// count of thousandths when that is exact, else 'D' + the IEEE bits.
func appendDouble(b []byte, v float64) []byte {
	if iv := int32(v); float64(iv) == v && v >= math.MinInt32 && v <= math.MaxInt32 {
		switch {
		case iv == 0:
			return append(b, 0x5b)
		case iv == 1:
			return append(b, 0x5c)
		case iv >= -0x80 && iv < 0x80:
			return append(b, 0x5d, byte(iv))
		case iv >= -0x8000 && iv < 0x8000:
			return append(b, 0x5e, byte(iv>>8), byte(iv))
		}
	}
	if m := v * 1000; m >= math.MinInt32 && m <= math.MaxInt32 {
		mills := int32(m)
		if 0.001*float64(mills) == v {
			return append(b, 0x5f, byte(mills>>24), byte(mills>>16), byte(mills>>8), byte(mills))
		}
	}
	bits := math.Float64bits(v)
	return append(b, 'D', byte(bits>>56), byte(bits>>48), byte(bits>>40), byte(bits>>32),
		byte(bits>>24), byte(bits>>16), byte(bits>>8), byte(bits))
}

func isList(rv reflect.Value) bool {
	k := rv.Kind()
	return (k == reflect.Slice || k == reflect.Array) && rv.Type() != bytesType &&
		!(k == reflect.Slice && rv.IsNil())
}

// deref returns what a pointer to a basic value points to (nil for nil).
func deref(v any) any {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer {
		return v
	}
	if rv.IsNil() {
		return nil
	}
	switch rv.Elem().Kind() {
	case reflect.Bool, reflect.String, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Float32, reflect.Float64:
		return rv.Elem().Interface()
	}
	return v
}

func toInt64(v any) (any, error) {
	if v == nil {
		return nil, nil
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return rv.Int(), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		if rv.Uint() > math.MaxInt64 {
			return nil, fmt.Errorf("%v overflows long", v)
		}
		return int64(rv.Uint()), nil
	case reflect.Float32, reflect.Float64:
		f := rv.Float()
		if f != math.Trunc(f) || f < math.MinInt64 || f > math.MaxInt64 {
			return nil, fmt.Errorf("%v is not a long", v)
		}
		return int64(f), nil
	}
	return nil, fmt.Errorf("cannot send %T as long", v)
}

func toInt32(v any) (any, error) {
	if v == nil {
		return nil, nil
	}
	n, err := toInt64(v)
	if err != nil {
		return nil, fmt.Errorf("cannot send %T as int", v)
	}
	i := n.(int64)
	if i < math.MinInt32 || i > math.MaxInt32 {
		return nil, fmt.Errorf("%v overflows int", v)
	}
	return int32(i), nil
}

func toFloat64(v any) (any, error) {
	if v == nil {
		return nil, nil
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return float64(rv.Int()), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return float64(rv.Uint()), nil
	case reflect.Float32, reflect.Float64:
		return rv.Float(), nil
	}
	return nil, fmt.Errorf("cannot send %T as double", v)
}

// decodeValue decodes the next value, turning a panic of the Hessian
// library on malformed input into an error.
func decodeValue(d *hessian.Decoder) (v any, err error) {
	defer func() {
		if p := recover(); p != nil {
			v, err = nil, fmt.Errorf("malformed hessian value: %v", p)
		}
	}()
	return d.Decode()
}

// stringMap converts a decoded Hessian map with string keys into a
// map[string]any; entries with other keys are dropped.
func stringMap(v any) (map[string]any, bool) {
	switch m := v.(type) {
	case nil:
		return nil, true
	case map[any]any:
		out := make(map[string]any, len(m))
		for k, v := range m {
			if ks, ok := k.(string); ok {
				out[ks] = v
			}
		}
		return out, true
	case map[string]any:
		return m, true
	case map[string]string:
		out := make(map[string]any, len(m))
		for k, v := range m {
			out[k] = v
		}
		return out, true
	}
	return nil, false
}
