package service

import (
	"context"
	"fmt"
	"reflect"
	"sort"
	"sync/atomic"
	"unicode"
	"unicode/utf8"

	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/internal/convert"
	"github.com/fleetrpc/fleet/protocol"
)

var (
	contextType = reflect.TypeFor[context.Context]()
	errorType   = reflect.TypeFor[error]()
)

// method is one callable method of a service.
type method struct {
	name    string
	fn      reflect.Value // the method's function; its first argument is rcvr
	rcvr    reflect.Value // the service value
	withCtx bool          // the first parameter is a context.Context
	params  []reflect.Type
	value   bool     // returns a value before the error
	fast    fastCall // nil unless the method has a common shape (fast.go)
}

// Invoker calls the methods of a Go service value. It implements
// protocol.Invoker; it is immutable apart from being destroyed.
type Invoker struct {
	url       *common.URL
	methods   map[string]*method
	names     []string
	destroyed atomic.Bool
}

// New returns an invoker over the exported methods of impl, described by
// url (the provider URL the service is exported under).
//
// A method qualifies when its results are (error) or (T, error), with an
// optional context.Context as its first parameter; variadic methods and
// methods of other shapes are skipped. It is reachable by its Go name and,
// when that starts with an upper-case letter, by the same name with a
// lower-case first letter, as Java consumers call it. New fails when impl
// has no qualifying method.
func New(url *common.URL, impl any) (*Invoker, error) {
	v := reflect.ValueOf(impl)
	if !v.IsValid() {
		return nil, fmt.Errorf("service %s: implementation is nil", url.ServiceKey())
	}
	t := v.Type()
	inv := &Invoker{url: url, methods: map[string]*method{}}
	for i := 0; i < t.NumMethod(); i++ {
		m := t.Method(i)
		bound := v.Method(i)
		desc, ok := describe(m.Name, bound)
		if !ok {
			continue
		}
		desc.fast = fastCallOf(bound)
		// Called through the unbound function with the receiver as its
		// first argument: reflect allocates for every call of a bound
		// method value, not for a plain function.
		desc.fn, desc.rcvr = m.Func, v
		inv.methods[m.Name] = desc
		inv.names = append(inv.names, m.Name)
		if lower := lowerFirst(m.Name); lower != m.Name {
			if _, taken := inv.methods[lower]; !taken {
				inv.methods[lower] = desc
			}
		}
	}
	if len(inv.names) == 0 {
		return nil, fmt.Errorf("service %s: %T has no exported method returning error or (value, error)", url.ServiceKey(), impl)
	}
	sort.Strings(inv.names)
	return inv, nil
}

func describe(name string, fn reflect.Value) (*method, bool) {
	ft := fn.Type()
	if ft.IsVariadic() {
		return nil, false
	}
	switch ft.NumOut() {
	case 1, 2:
	default:
		return nil, false
	}
	if ft.Out(ft.NumOut()-1) != errorType {
		return nil, false
	}
	m := &method{name: name, fn: fn, value: ft.NumOut() == 2}
	first := 0
	if ft.NumIn() > 0 && ft.In(0) == contextType {
		m.withCtx = true
		first = 1
	}
	for i := first; i < ft.NumIn(); i++ {
		m.params = append(m.params, ft.In(i))
	}
	return m, true
}

// JavaName is the name a Java consumer calls a Go method by: the Go name
// with a lower-case first letter (SayHello → sayHello).
func JavaName(goName string) string { return lowerFirst(goName) }

func lowerFirst(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if !unicode.IsUpper(r) {
		return s
	}
	return string(unicode.ToLower(r)) + s[n:]
}

// MethodNames lists the Go names of the service's methods, sorted.
func (s *Invoker) MethodNames() []string { return append([]string(nil), s.names...) }

// HasMethod reports whether name (Go or Java spelling) is a method.
func (s *Invoker) HasMethod(name string) bool { _, ok := s.methods[name]; return ok }

// ParamTypes returns the Go parameter types of a method (the context
// excluded), for protocols that decode arguments into them.
func (s *Invoker) ParamTypes(name string) ([]reflect.Type, bool) {
	m, ok := s.methods[name]
	if !ok {
		return nil, false
	}
	return m.params, true
}

// URL implements protocol.Invoker.
func (s *Invoker) URL() *common.URL { return s.url }

// IsAvailable implements protocol.Invoker.
func (s *Invoker) IsAvailable() bool { return !s.destroyed.Load() }

// Destroy implements protocol.Invoker.
func (s *Invoker) Destroy() { s.destroyed.Store(true) }

// Invoke calls the method inv names with its arguments. Arguments are
// converted to the parameter types where that loses nothing (numbers of
// another width, nil for pointers, slices, maps and interfaces, slices and
// maps element by element, a map into a struct: see internal/convert); a
// mismatch fails with a serialization error. The context passed to the method carries inv (see
// protocol.FromContext). An error returned by the method, or a panic in it,
// is a business error.
func (s *Invoker) Invoke(ctx context.Context, inv protocol.Invocation) protocol.Result {
	name := inv.MethodName()
	if s.destroyed.Load() {
		return protocol.ErrorResult(s.fail(protocol.KindNetwork, name, "service is unexported", nil))
	}
	m, ok := s.methods[name]
	if !ok {
		return protocol.ErrorResult(s.fail(protocol.KindUnknown, name,
			fmt.Sprintf("no method %q in service (has %v)", name, s.names), nil))
	}
	args := inv.Arguments()
	if len(args) != len(m.params) {
		return protocol.ErrorResult(s.fail(protocol.KindSerialization, name,
			fmt.Sprintf("got %d arguments, method takes %d", len(args), len(m.params)), nil))
	}
	if m.withCtx {
		ctx = protocol.NewContext(ctx, inv)
	}
	if m.fast != nil {
		if res, ok := s.callFast(m, ctx, args); ok {
			return res
		}
	}
	// Up to maxStackArgs values (receiver, context, arguments) stay on the
	// stack: reflect does not keep the slice.
	var buf [maxStackArgs]reflect.Value
	in := append(buf[:0], m.rcvr)
	if m.withCtx {
		in = append(in, reflect.ValueOf(ctx))
	}
	for i, a := range args {
		v, err := convert.To(a, m.params[i])
		if err != nil {
			return protocol.ErrorResult(s.fail(protocol.KindSerialization, name, fmt.Sprintf("argument %d", i), err))
		}
		in = append(in, v)
	}
	return s.call(m, in)
}

// maxStackArgs is how many call values Invoke holds without allocating.
const maxStackArgs = 8

func (s *Invoker) call(m *method, in []reflect.Value) (res protocol.Result) {
	defer func() {
		if p := recover(); p != nil {
			res = protocol.ErrorResult(s.fail(protocol.KindBusiness, m.name, "", fmt.Errorf("panic: %v", p)))
		}
	}()
	out := m.fn.Call(in)
	if errV := out[len(out)-1]; !errV.IsNil() {
		return protocol.ErrorResult(s.fail(protocol.KindBusiness, m.name, "", errV.Interface().(error)))
	}
	if m.value {
		return protocol.NewResult(out[0].Interface(), nil)
	}
	return protocol.NewResult(nil, nil)
}

// callFast calls a method of a common shape as a typed function (no
// reflect.Value.Call); false when an argument needs converting (the method
// was not called).
func (s *Invoker) callFast(m *method, ctx context.Context, args []any) (res protocol.Result, ok bool) {
	defer func() {
		if p := recover(); p != nil {
			res, ok = protocol.ErrorResult(s.fail(protocol.KindBusiness, m.name, "", fmt.Errorf("panic: %v", p))), true
		}
	}()
	v, ok, err := m.fast(ctx, args)
	switch {
	case !ok:
		return nil, false
	case err != nil:
		return protocol.ErrorResult(s.fail(protocol.KindBusiness, m.name, "", err)), true
	case !m.value:
		v = nil
	}
	return protocol.NewResult(v, nil), true
}

func (s *Invoker) fail(kind protocol.Kind, method, msg string, cause error) *protocol.Error {
	return protocol.NewError(kind, s.url.ServiceKey(), method, s.url.Address(), msg, cause)
}
