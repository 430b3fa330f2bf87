package convert

import (
	"fmt"
	"reflect"
	"strings"
)

// To returns v as a value of type t. It accepts:
//   - nil, for pointers, interfaces, slices, maps, funcs and channels (their
//     zero value);
//   - a value assignable to t;
//   - numbers of another kind when the value survives the round trip (no
//     overflow, no lost fraction);
//   - a T where *T is wanted and a *T where T is wanted;
//   - slices and arrays element by element ([]any → []string);
//   - maps entry by entry (map[any]any → map[string]int64);
//   - a map with string keys into a struct, matching keys to exported fields
//     by name, case-insensitively, or by a `hessian:"name"` tag; keys with
//     no field are ignored (a "class" key, for example).
//
// Anything else is an error naming both types.
func To(v any, t reflect.Type) (reflect.Value, error) {
	if v == nil {
		if nilable(t.Kind()) {
			return reflect.Zero(t), nil
		}
		return reflect.Value{}, fmt.Errorf("cannot use nil as %s", t)
	}
	return value(reflect.ValueOf(v), t)
}

func nilable(k reflect.Kind) bool {
	switch k {
	case reflect.Pointer, reflect.Interface, reflect.Slice, reflect.Map, reflect.Func, reflect.Chan:
		return true
	}
	return false
}

func value(v reflect.Value, t reflect.Type) (reflect.Value, error) {
	if v.Kind() == reflect.Interface {
		if v.IsNil() {
			return To(nil, t)
		}
		v = v.Elem()
	}
	vt := v.Type()
	if vt.AssignableTo(t) {
		return v, nil
	}
	switch {
	case isNumber(vt.Kind()) && isNumber(t.Kind()):
		c := v.Convert(t)
		if c.Convert(vt).Equal(v) {
			return c, nil
		}
		return reflect.Value{}, fmt.Errorf("%v overflows %s", v, t)
	case vt.Kind() == reflect.Pointer && vt.Elem().AssignableTo(t):
		if v.IsNil() {
			return reflect.Value{}, fmt.Errorf("cannot use nil %s as %s", vt, t)
		}
		return v.Elem(), nil
	case t.Kind() == reflect.Pointer:
		if vt.Kind() == reflect.Pointer {
			if v.IsNil() {
				return reflect.Zero(t), nil
			}
			v = v.Elem()
		}
		e, err := value(v, t.Elem())
		if err != nil {
			return reflect.Value{}, err
		}
		p := reflect.New(t.Elem())
		p.Elem().Set(e)
		return p, nil
	case t.Kind() == reflect.Slice && (vt.Kind() == reflect.Slice || vt.Kind() == reflect.Array):
		if vt.Kind() == reflect.Slice && v.IsNil() {
			return reflect.Zero(t), nil
		}
		out := reflect.MakeSlice(t, v.Len(), v.Len())
		for i := 0; i < v.Len(); i++ {
			e, err := value(v.Index(i), t.Elem())
			if err != nil {
				return reflect.Value{}, fmt.Errorf("element %d: %w", i, err)
			}
			out.Index(i).Set(e)
		}
		return out, nil
	case t.Kind() == reflect.Map && vt.Kind() == reflect.Map:
		if v.IsNil() {
			return reflect.Zero(t), nil
		}
		out := reflect.MakeMapWithSize(t, v.Len())
		it := v.MapRange()
		for it.Next() {
			k, err := value(it.Key(), t.Key())
			if err != nil {
				return reflect.Value{}, fmt.Errorf("key %v: %w", it.Key(), err)
			}
			e, err := value(it.Value(), t.Elem())
			if err != nil {
				return reflect.Value{}, fmt.Errorf("value of %v: %w", it.Key(), err)
			}
			out.SetMapIndex(k, e)
		}
		return out, nil
	case t.Kind() == reflect.Struct && vt.Kind() == reflect.Map:
		return toStruct(v, t)
	}
	return reflect.Value{}, fmt.Errorf("cannot use %s as %s", vt, t)
}

func toStruct(m reflect.Value, t reflect.Type) (reflect.Value, error) {
	out := reflect.New(t).Elem()
	fields := map[string]int{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name := f.Name
		if tag, _, _ := strings.Cut(f.Tag.Get("hessian"), ","); tag != "" && tag != "-" {
			name = tag
		}
		fields[strings.ToLower(name)] = i
	}
	it := m.MapRange()
	for it.Next() {
		k := it.Key()
		if k.Kind() == reflect.Interface {
			k = k.Elem()
		}
		if k.Kind() != reflect.String {
			return reflect.Value{}, fmt.Errorf("cannot use a map with %s keys as %s", k.Type(), t)
		}
		i, ok := fields[strings.ToLower(k.String())]
		if !ok {
			continue
		}
		f, err := value(it.Value(), t.Field(i).Type)
		if err != nil {
			return reflect.Value{}, fmt.Errorf("field %s: %w", t.Field(i).Name, err)
		}
		out.Field(i).Set(f)
	}
	return out, nil
}

func isNumber(k reflect.Kind) bool { return k >= reflect.Int && k <= reflect.Float64 }
