package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"time"

	decimal "github.com/dubbogo/gost/math/big"
)

// javaArgs turns JSON arguments into Go values for the given Java
// parameter types, or infers the types from the JSON when types is empty:
// a string is java.lang.String, an integer long, any other number double, a
// boolean boolean, an object java.util.Map, an array java.util.List.
func javaArgs(raw []string, types []string) ([]any, []string, error) {
	if len(types) > 0 && len(types) != len(raw) {
		return nil, nil, fmt.Errorf("--types lists %d types for %d arguments", len(types), len(raw))
	}
	args := make([]any, len(raw))
	inferred := make([]string, len(raw))
	for i, r := range raw {
		dec := json.NewDecoder(strings.NewReader(r))
		dec.UseNumber()
		var v any
		if err := dec.Decode(&v); err != nil {
			return nil, nil, fmt.Errorf("argument %d %q is not JSON (quote strings: '\"text\"'): %v", i+1, r, err)
		}
		if dec.More() {
			return nil, nil, fmt.Errorf("argument %d %q: more than one JSON value", i+1, r)
		}
		if len(types) == 0 {
			args[i], inferred[i] = inferJava(v)
			continue
		}
		a, err := asJava(v, types[i])
		if err != nil {
			return nil, nil, fmt.Errorf("argument %d as %s: %v", i+1, types[i], err)
		}
		args[i] = a
	}
	if len(types) > 0 {
		return args, types, nil
	}
	return args, inferred, nil
}

func inferJava(v any) (any, string) {
	switch x := v.(type) {
	case string:
		return x, "java.lang.String"
	case bool:
		return x, "boolean"
	case json.Number:
		if n, err := x.Int64(); err == nil {
			return n, "long"
		}
		f, _ := x.Float64()
		return f, "double"
	case map[string]any:
		return plain(x), "java.util.Map"
	case []any:
		return plain(x), "java.util.List"
	default:
		return nil, "java.lang.Object"
	}
}

// plain replaces json.Numbers inside maps and slices by int64 or float64.
func plain(v any) any {
	switch x := v.(type) {
	case json.Number:
		if n, err := x.Int64(); err == nil {
			return n
		}
		f, _ := x.Float64()
		return f
	case map[string]any:
		for k, e := range x {
			x[k] = plain(e)
		}
		return x
	case []any:
		for i, e := range x {
			x[i] = plain(e)
		}
		return x
	}
	return v
}

func asJava(v any, typ string) (any, error) {
	if v == nil {
		return nil, nil
	}
	num := func(bits int) (int64, error) {
		n, ok := v.(json.Number)
		if !ok {
			return 0, fmt.Errorf("%v is not a number", v)
		}
		return strconv.ParseInt(n.String(), 10, bits)
	}
	switch typ {
	case "int", "java.lang.Integer":
		n, err := num(32)
		return int32(n), err
	case "long", "java.lang.Long":
		return num(64)
	case "short", "java.lang.Short":
		n, err := num(16)
		return int16(n), err
	case "byte", "java.lang.Byte":
		n, err := num(8)
		return int8(n), err
	case "double", "java.lang.Double", "float", "java.lang.Float":
		n, ok := v.(json.Number)
		if !ok {
			return nil, fmt.Errorf("%v is not a number", v)
		}
		f, err := n.Float64()
		if typ == "float" || typ == "java.lang.Float" {
			return float32(f), err
		}
		return f, err
	case "boolean", "java.lang.Boolean":
		b, ok := v.(bool)
		if !ok {
			return nil, fmt.Errorf("%v is not a boolean", v)
		}
		return b, nil
	case "java.lang.String", "char", "java.lang.Character":
		s, ok := v.(string)
		if !ok {
			return nil, fmt.Errorf("%v is not a string", v)
		}
		return s, nil
	case "java.util.Date":
		switch x := v.(type) {
		case string:
			return time.Parse(time.RFC3339Nano, x)
		case json.Number:
			ms, err := x.Int64()
			return time.UnixMilli(ms), err
		}
		return nil, fmt.Errorf("%v is neither an RFC 3339 time nor epoch milliseconds", v)
	case "java.math.BigDecimal":
		d, err := decimal.NewDecFromString(fmt.Sprint(v))
		if err != nil {
			return nil, fmt.Errorf("%v is not a decimal", v)
		}
		return d, nil
	}
	return plain(v), nil
}

// jsonable turns a decoded reply into something encoding/json renders:
// maps with non-string keys get string keys, times RFC 3339, pointers their
// values.
func jsonable(v any) any {
	switch x := v.(type) {
	case nil, string, bool, json.Number:
		return x
	case time.Time:
		return x.Format(time.RFC3339Nano)
	case []byte:
		return x
	case error:
		return x.Error()
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Pointer, reflect.Interface:
		if rv.IsNil() {
			return nil
		}
		return jsonable(rv.Elem().Interface())
	case reflect.Map:
		out := make(map[string]any, rv.Len())
		it := rv.MapRange()
		for it.Next() {
			out[fmt.Sprint(jsonable(it.Key().Interface()))] = jsonable(it.Value().Interface())
		}
		return out
	case reflect.Slice, reflect.Array:
		out := make([]any, rv.Len())
		for i := range out {
			out[i] = jsonable(rv.Index(i).Interface())
		}
		return out
	case reflect.Struct:
		out := map[string]any{}
		t := rv.Type()
		for i := 0; i < t.NumField(); i++ {
			if t.Field(i).IsExported() {
				out[t.Field(i).Name] = jsonable(rv.Field(i).Interface())
			}
		}
		return out
	}
	return v
}

// renderJSON renders v indented, keys sorted, without HTML escaping.
func renderJSON(v any) (string, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(jsonable(v)); err != nil {
		return "", err
	}
	return strings.TrimRight(b.String(), "\n"), nil
}
