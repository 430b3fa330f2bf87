package dubbo

import (
	"reflect"
	"time"

	hessian "github.com/apache/dubbo-go-hessian2"
	big "github.com/dubbogo/gost/math/big"

	"github.com/fleetrpc/fleet/protocol"
)

// genericDesc is the descriptor of $invoke(String, String[], Object[]).
const genericDesc = "Ljava/lang/String;[Ljava/lang/String;[Ljava/lang/Object;"

// generic serves $invoke: the real method, its Java parameter types and its
// arguments (POJOs as maps) are called on the exporter's invoker; the result
// comes back generalized (structs as maps with their Java class under
// "class"), a business error as a GenericException.
func (s *server) generic(e *exporter, inv *invocation) *Response {
	method, _ := inv.args[0].(string)
	var types []string
	switch t := inv.args[1].(type) {
	case []string:
		types = t
	case []any:
		for _, x := range t {
			n, _ := x.(string)
			types = append(types, n)
		}
	}
	var args []any
	switch a := inv.args[2].(type) {
	case []any:
		args = a
	case nil:
	default:
		rv := reflect.ValueOf(a)
		if rv.Kind() == reflect.Slice {
			for i := range rv.Len() {
				args = append(args, rv.Index(i).Interface())
			}
		}
	}
	if mc, ok := e.invoker.(methodChecker); ok && !mc.HasMethod(method) {
		return &Response{Status: StatusOK, Exception: &genericError{
			class: "java.lang.NoSuchMethodException", message: "method " + method + " not found"}}
	}
	real := &invocation{method: method, args: args, atts: inv.atts, types: types}
	ctx, cancel := s.callContext(&Request{Attachments: inv.atts})
	defer cancel()
	res := e.invoker.Invoke(ctx, real)
	if err := res.Error(); err != nil {
		if protocol.KindOf(err) == protocol.KindBusiness {
			class, msg := ExceptionOf(err)
			return &Response{Status: StatusOK, Exception: &genericError{class: class, message: msg}}
		}
		r := responseOf(res)
		return &r
	}
	return &Response{Status: StatusOK, Value: Generalize(res.Value()), Attachments: res.Attachments()}
}

// Generalize turns a Go value into what a generic caller receives: a POJO
// (a struct with a Java class) becomes a map[string]any of its Hessian
// field names with the class under "class", a Java enum its name; slices
// and maps are generalized element by element; other values stay as they
// are.
func Generalize(v any) any {
	return generalize(reflect.ValueOf(v), 0)
}

func generalize(rv reflect.Value, depth int) any {
	if !rv.IsValid() {
		return nil
	}
	if depth > 64 {
		return nil
	}
	switch x := rv.Interface().(type) {
	case time.Time, *time.Time, []byte, *big.Decimal, big.Decimal:
		return x
	case hessian.POJOEnum:
		return x.String()
	}
	switch rv.Kind() {
	case reflect.Pointer, reflect.Interface:
		if rv.IsNil() {
			return nil
		}
		return generalize(rv.Elem(), depth+1)
	case reflect.Struct:
		t := rv.Type()
		m := make(map[string]any, t.NumField()+1)
		if p, ok := rv.Interface().(hessian.POJO); ok {
			m["class"] = p.JavaClassName()
		} else if rv.CanAddr() {
			if p, ok := rv.Addr().Interface().(hessian.POJO); ok {
				m["class"] = p.JavaClassName()
			}
		} else if p, ok := reflect.New(t).Interface().(hessian.POJO); ok {
			m["class"] = p.JavaClassName()
		}
		for i := range t.NumField() {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			name := f.Tag.Get("hessian")
			if name == "-" {
				continue
			}
			if name == "" {
				name = lowerFirst(f.Name)
			}
			m[name] = generalize(rv.Field(i), depth+1)
		}
		return m
	case reflect.Slice, reflect.Array:
		if rv.Kind() == reflect.Slice && rv.IsNil() {
			return nil
		}
		out := make([]any, rv.Len())
		for i := range out {
			out[i] = generalize(rv.Index(i), depth+1)
		}
		return out
	case reflect.Map:
		if rv.IsNil() {
			return nil
		}
		out := make(map[any]any, rv.Len())
		it := rv.MapRange()
		for it.Next() {
			out[it.Key().Interface()] = generalize(it.Value(), depth+1)
		}
		return out
	}
	return rv.Interface()
}

func lowerFirst(s string) string {
	if s == "" || s[0] < 'A' || s[0] > 'Z' {
		return s
	}
	return string(s[0]+'a'-'A') + s[1:]
}
