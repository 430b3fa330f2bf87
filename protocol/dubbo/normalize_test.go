package dubbo

import (
	"fmt"
	"reflect"
	"sort"
	"strings"
	"time"

	big "github.com/dubbogo/gost/math/big"
)

// normalize renders a decoded or expected value as comparable text: lists
// of any element type alike, maps sorted by key, decimals as text, times in
// UTC milliseconds, structs by field.
func normalize(v any) string {
	var b strings.Builder
	norm(&b, reflect.ValueOf(v))
	return b.String()
}

func norm(b *strings.Builder, v reflect.Value) {
	if !v.IsValid() {
		b.WriteString("null")
		return
	}
	switch x := v.Interface().(type) {
	case time.Time:
		fmt.Fprintf(b, "date(%d)", x.UnixMilli())
		return
	case *big.Decimal:
		fmt.Fprintf(b, "decimal(%s)", x.String())
		return
	case big.Decimal:
		fmt.Fprintf(b, "decimal(%s)", x.String())
		return
	case []byte:
		fmt.Fprintf(b, "bytes(%x)", x)
		return
	case fmt.Stringer:
		if v.Kind() != reflect.Struct && v.Kind() != reflect.Pointer {
			fmt.Fprintf(b, "%T(%s)", x, x)
			return
		}
	}
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			b.WriteString("null")
			return
		}
		norm(b, v.Elem())
	case reflect.Slice, reflect.Array:
		if v.Kind() == reflect.Slice && v.IsNil() {
			b.WriteString("null")
			return
		}
		b.WriteString("[")
		for i := range v.Len() {
			if i > 0 {
				b.WriteString(",")
			}
			norm(b, v.Index(i))
		}
		b.WriteString("]")
	case reflect.Map:
		keys := v.MapKeys()
		sort.Slice(keys, func(i, j int) bool { return fmt.Sprint(keys[i]) < fmt.Sprint(keys[j]) })
		b.WriteString("{")
		for i, k := range keys {
			if i > 0 {
				b.WriteString(",")
			}
			norm(b, k)
			b.WriteString(":")
			norm(b, v.MapIndex(k))
		}
		b.WriteString("}")
	case reflect.Struct:
		fmt.Fprintf(b, "%s{", v.Type().Name())
		for i := range v.NumField() {
			if !v.Type().Field(i).IsExported() {
				continue
			}
			fmt.Fprintf(b, "%s:", v.Type().Field(i).Name)
			norm(b, v.Field(i))
			b.WriteString(" ")
		}
		b.WriteString("}")
	case reflect.String:
		fmt.Fprintf(b, "%q", v.String())
	default:
		fmt.Fprintf(b, "%s(%v)", v.Kind(), v.Interface())
	}
}
