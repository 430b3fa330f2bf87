package dubbo

import (
	"encoding/binary"
	"fmt"
	"maps"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	hessian "github.com/apache/dubbo-go-hessian2"
	big "github.com/dubbogo/gost/math/big"
)

// primitiveDesc maps Java primitive type names to JVM descriptors.
var primitiveDesc = map[string]string{
	"boolean": "Z", "byte": "B", "char": "C", "short": "S",
	"int": "I", "long": "J", "float": "F", "double": "D", "void": "V",
}

// JavaTypeDesc returns the JVM descriptor of a Java type name as Dubbo's
// generic calls name them: "int" → "I", "java.lang.String" →
// "Ljava/lang/String;", "int[]" → "[I", "com.foo.User[][]" →
// "[[Lcom/foo/User;". A name that already is a descriptor or a JVM array
// name ("[Ljava.lang.String;") is converted as Java's Class.forName would
// read it.
func JavaTypeDesc(name string) string {
	dims := 0
	for strings.HasSuffix(name, "[]") {
		name = name[:len(name)-2]
		dims++
	}
	var b strings.Builder
	for range dims {
		b.WriteByte('[')
	}
	switch {
	case primitiveDesc[name] != "":
		b.WriteString(primitiveDesc[name])
	case strings.HasPrefix(name, "["):
		// JVM array name: [I, [Ljava.lang.String;
		b.WriteString(strings.ReplaceAll(name, ".", "/"))
	case len(name) == 1 && strings.Contains("ZBCSIJFDV", name):
		b.WriteString(name)
	default:
		b.WriteByte('L')
		b.WriteString(strings.ReplaceAll(name, ".", "/"))
		b.WriteByte(';')
	}
	return b.String()
}

// ParamDesc returns the descriptor of a parameter list of Java type names.
func ParamDesc(types []string) string {
	switch len(types) {
	case 0:
		return ""
	case 1:
		return JavaTypeDesc(types[0])
	}
	var b strings.Builder
	for _, t := range types {
		b.WriteString(JavaTypeDesc(t))
	}
	return b.String()
}

// splitDesc splits a descriptor into one token per parameter
// ("I[Ljava/lang/String;" → "I", "[Ljava/lang/String;"), following
// \[*(?:[ZBCSIJFDV]|L[^;]+;).
func splitDesc(desc string) ([]string, error) {
	var out []string
	for i := 0; i < len(desc); {
		start := i
		for i < len(desc) && desc[i] == '[' {
			i++
		}
		if i == len(desc) {
			return nil, fmt.Errorf("bad parameter descriptor %q", desc)
		}
		switch desc[i] {
		case 'Z', 'B', 'C', 'S', 'I', 'J', 'F', 'D', 'V':
			i++
		case 'L':
			end := strings.IndexByte(desc[i:], ';')
			if end <= 1 {
				return nil, fmt.Errorf("bad parameter descriptor %q", desc)
			}
			i += end + 1
		default:
			return nil, fmt.Errorf("bad parameter descriptor %q", desc)
		}
		out = append(out, desc[start:i])
	}
	return out, nil
}

// countDesc returns the number of parameters in desc without allocating.
func countDesc(desc string) (int, error) {
	n := 0
	for i := 0; i < len(desc); {
		for i < len(desc) && desc[i] == '[' {
			i++
		}
		if i == len(desc) {
			return 0, fmt.Errorf("bad parameter descriptor %q", desc)
		}
		switch desc[i] {
		case 'Z', 'B', 'C', 'S', 'I', 'J', 'F', 'D', 'V':
			i++
		case 'L':
			end := strings.IndexByte(desc[i:], ';')
			if end <= 1 {
				return 0, fmt.Errorf("bad parameter descriptor %q", desc)
			}
			i += end + 1
		default:
			return 0, fmt.Errorf("bad parameter descriptor %q", desc)
		}
		n++
	}
	return n, nil
}

// nextDesc returns the first token of desc and the rest ("" when desc is
// empty or malformed).
func nextDesc(desc string) (tok, rest string) {
	i := 0
	for i < len(desc) && desc[i] == '[' {
		i++
	}
	if i == len(desc) {
		return "", ""
	}
	if desc[i] == 'L' {
		end := strings.IndexByte(desc[i:], ';')
		if end < 0 {
			return "", ""
		}
		i += end + 1
	} else {
		i++
	}
	return desc[:i], desc[i:]
}

var bytesType = reflect.TypeFor[[]byte]()

// ValueDesc returns the JVM descriptor fleet sends for a Go argument whose
// Java type was not declared: string → Ljava/lang/String;, int32 → I,
// int64 and int → J (as dubbo-go does), bool → Z, float64 → D, float32 → F,
// int16 → S, int8 → B, []byte → [B, pointers to those → their boxed
// classes, time.Time → Ljava/util/Date;, a POJO → its Java class, other
// slices → Ljava/util/List;, maps → Ljava/util/Map;, nil and anything else →
// Ljava/lang/Object;.
func ValueDesc(v any) string {
	switch v := v.(type) {
	case nil:
		return "Ljava/lang/Object;"
	case string:
		return "Ljava/lang/String;"
	case int32:
		return "I"
	case int64, int:
		return "J"
	case bool:
		return "Z"
	case float64:
		return "D"
	case float32:
		return "F"
	case int16:
		return "S"
	case int8, uint8:
		return "B"
	case []byte:
		return "[B"
	case []string:
		return "[Ljava/lang/String;"
	case *string:
		return "Ljava/lang/String;"
	case *int32:
		return "Ljava/lang/Integer;"
	case *int64, *int:
		return "Ljava/lang/Long;"
	case *bool:
		return "Ljava/lang/Boolean;"
	case *float64:
		return "Ljava/lang/Double;"
	case *float32:
		return "Ljava/lang/Float;"
	case time.Time, *time.Time:
		return "Ljava/util/Date;"
	case *big.Decimal, big.Decimal:
		return "Ljava/math/BigDecimal;"
	case hessian.POJO:
		return "L" + strings.ReplaceAll(v.JavaClassName(), ".", "/") + ";"
	}
	switch reflect.TypeOf(v).Kind() {
	case reflect.Slice, reflect.Array:
		return "Ljava/util/List;"
	case reflect.Map:
		return "Ljava/util/Map;"
	}
	return "Ljava/lang/Object;"
}

// descToJavaName turns a descriptor token into the Java type name a generic
// call uses ("J" → "long", "[Ljava/lang/String;" → "java.lang.String[]").
func descToJavaName(tok string) string {
	dims := 0
	for dims < len(tok) && tok[dims] == '[' {
		dims++
	}
	base := tok[dims:]
	var name string
	switch {
	case len(base) == 1:
		for k, v := range primitiveDesc {
			if v == base {
				name = k
			}
		}
	case strings.HasPrefix(base, "L") && strings.HasSuffix(base, ";"):
		name = strings.ReplaceAll(base[1:len(base)-1], "/", ".")
	default:
		name = base
	}
	return name + strings.Repeat("[]", dims)
}

// descCache holds the descriptors of the parameter type lists calls
// declared, keyed by the names, each after its length: a call looks its
// list up without allocating. The map is replaced whole on insert (readers take no
// lock) and stops growing at maxDescs entries.
var descCache struct {
	mu sync.Mutex // serialises inserts
	m  atomic.Pointer[map[string]string]
}

const maxDescs = 1024

// paramDescCached is ParamDesc through descCache.
func paramDescCached(types []string) string {
	if len(types) == 0 {
		return ""
	}
	var kb [256]byte
	key := kb[:0]
	for _, t := range types {
		key = binary.AppendUvarint(key, uint64(len(t))) // unambiguous, whatever the names hold
		key = append(key, t...)
	}
	if m := descCache.m.Load(); m != nil {
		if d, ok := (*m)[string(key)]; ok {
			return d
		}
	}
	d := ParamDesc(types)
	descCache.mu.Lock()
	defer descCache.mu.Unlock()
	old := descCache.m.Load()
	if old != nil && len(*old) >= maxDescs {
		return d
	}
	next := make(map[string]string, 1)
	if old != nil {
		next = maps.Clone(*old)
	}
	next[string(key)] = d
	descCache.m.Store(&next)
	return d
}
