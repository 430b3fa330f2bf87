package config

import (
	"context"
	"fmt"
	"reflect"
	"strings"

	"github.com/fleetrpc/fleet/cluster"
	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/internal/convert"
	"github.com/fleetrpc/fleet/protocol"
	"github.com/fleetrpc/fleet/protocol/service"
)

// RPCService is what a dubbo-go proxy struct implements: Reference names
// its entry under dubbo.consumer.references (or dubbo.provider.services).
type RPCService interface {
	Reference() string
}

// MethodMapper is implemented by proxy structs whose Java method names are
// not their field names with a lower-case first letter, as in dubbo-go.
type MethodMapper interface {
	MethodMapper() map[string]string
}

// Reference is a service the program calls: one invoker (a cluster over a
// directory, or a single provider) behind a plain Call and dubbo-go style
// proxy structs.
type Reference struct {
	name    string           // immutable
	invoker protocol.Invoker // immutable
	release func()           // run by Destroy after the invoker; may be nil
}

// NewReference wraps an invoker, for references wired by hand.
func NewReference(name string, invoker protocol.Invoker) *Reference {
	return &Reference{name: name, invoker: invoker}
}

// Name is the reference's name in the configuration.
func (r *Reference) Name() string { return r.name }

// Invoker is the invoker calls go through.
func (r *Reference) Invoker() protocol.Invoker { return r.invoker }

// Call calls method with args and returns the result value. Parameter types
// are left for the protocol to derive from the arguments; use Invoke with
// an Invocation to declare them.
func (r *Reference) Call(ctx context.Context, method string, args ...any) (any, error) {
	res := r.invoker.Invoke(ctx, protocol.NewInvocation(method, args...))
	return res.Value(), res.Error()
}

// Invoke performs one call with a prepared invocation.
func (r *Reference) Invoke(ctx context.Context, inv protocol.Invocation) protocol.Result {
	return r.invoker.Invoke(ctx, inv)
}

// Destroy destroys the invoker: connections, directory, subscriptions (and,
// for a reference from Refer, the registries it opened).
func (r *Reference) Destroy() {
	r.invoker.Destroy()
	if r.release != nil {
		r.release()
	}
}

// Bind fills the exported func fields of proxy, a pointer to a dubbo-go
// style proxy struct, with calls through the reference:
//
//	type GreeterClient struct {
//		SayHello func(ctx context.Context, name string) (string, error)
//		GetUser  func(ctx context.Context, id int64) (*User, error) `types:"long"`
//	}
//
// A field's Java method name is its `dubbo:"name"` tag, else the proxy's
// MethodMapper entry, else the field name with a lower-case first letter
// (SayHello → sayHello, as Java providers expect; dubbo-go sends the field
// name unchanged). A `types:"long,java.lang.String"` tag declares the Java
// parameter types. A field must return error or (T, error); a first
// context.Context parameter is optional. The reply is converted to T as
// internal/convert describes (a POJO map into a struct, for example).
func (r *Reference) Bind(proxy any) error {
	methods, err := proxyMethods(proxy)
	if err != nil {
		return err
	}
	v := reflect.ValueOf(proxy).Elem()
	for _, m := range methods {
		v.Field(m.field).Set(reflect.MakeFunc(m.typ, r.caller(m)))
	}
	return nil
}

// ProxyMethodNames lists the Java method names Bind would use for proxy, for
// the methods param of the consumer URL.
func ProxyMethodNames(proxy any) ([]string, error) {
	methods, err := proxyMethods(proxy)
	if err != nil {
		return nil, err
	}
	names := make([]string, len(methods))
	for i, m := range methods {
		names[i] = m.name
	}
	return names, nil
}

type proxyMethod struct {
	field   int
	name    string
	typ     reflect.Type
	types   []string
	withCtx bool
	value   reflect.Type // nil when the func returns only error
}

var (
	ctxType = reflect.TypeFor[context.Context]()
	errType = reflect.TypeFor[error]()
)

func proxyMethods(proxy any) ([]proxyMethod, error) {
	pv := reflect.ValueOf(proxy)
	if pv.Kind() != reflect.Pointer || pv.IsNil() || pv.Elem().Kind() != reflect.Struct {
		return nil, fmt.Errorf("config: proxy must be a non-nil pointer to a struct, got %T", proxy)
	}
	var mapper map[string]string
	if mm, ok := proxy.(MethodMapper); ok {
		mapper = mm.MethodMapper()
	}
	t := pv.Elem().Type()
	var out []proxyMethod
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() || f.Type.Kind() != reflect.Func {
			continue
		}
		ft := f.Type
		m := proxyMethod{field: i, typ: ft, name: service.JavaName(f.Name)}
		if n, ok := mapper[f.Name]; ok && n != "" {
			m.name = n
		}
		if n := f.Tag.Get("dubbo"); n != "" {
			m.name = n
		}
		if ts := f.Tag.Get("types"); ts != "" {
			for _, s := range strings.Split(ts, ",") {
				m.types = append(m.types, strings.TrimSpace(s))
			}
		}
		switch {
		case ft.IsVariadic():
			return nil, fmt.Errorf("config: %s.%s: variadic functions are not supported", t, f.Name)
		case ft.NumOut() == 1 && ft.Out(0) == errType:
		case ft.NumOut() == 2 && ft.Out(1) == errType:
			m.value = ft.Out(0)
		default:
			return nil, fmt.Errorf("config: %s.%s: must return error or (T, error)", t, f.Name)
		}
		m.withCtx = ft.NumIn() > 0 && ft.In(0) == ctxType
		nargs := ft.NumIn()
		if m.withCtx {
			nargs--
		}
		if m.types != nil && len(m.types) != nargs {
			return nil, fmt.Errorf("config: %s.%s: types tag lists %d types for %d parameters", t, f.Name, len(m.types), nargs)
		}
		out = append(out, m)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("config: %s has no exported func fields to bind", t)
	}
	return out, nil
}

func (r *Reference) caller(m proxyMethod) func([]reflect.Value) []reflect.Value {
	return func(in []reflect.Value) []reflect.Value {
		ctx := context.Background()
		if m.withCtx {
			if c, ok := in[0].Interface().(context.Context); ok && c != nil {
				ctx = c
			}
			in = in[1:]
		}
		args := make([]any, len(in))
		for i, a := range in {
			args[i] = a.Interface()
		}
		inv := protocol.NewInvocation(m.name, args...)
		if m.types != nil {
			inv = inv.WithParameterTypes(m.types...)
		}
		if m.value != nil && r.invoker.URL().MethodParamOr(m.name, common.MockKey, "") != "" {
			ctx = cluster.WithResultType(ctx, m.value) // a mock's value takes the result type
		}
		res := r.invoker.Invoke(ctx, inv)
		return m.results(res.Value(), res.Error())
	}
}

func (m proxyMethod) results(value any, err error) []reflect.Value {
	errV := func(err error) reflect.Value {
		if err == nil {
			return reflect.Zero(errType)
		}
		return reflect.ValueOf(&err).Elem()
	}
	if m.value == nil {
		return []reflect.Value{errV(err)}
	}
	if err != nil {
		return []reflect.Value{reflect.Zero(m.value), errV(err)}
	}
	v, cerr := convert.To(value, m.value)
	if cerr != nil {
		return []reflect.Value{reflect.Zero(m.value), errV(protocol.NewError(protocol.KindSerialization, "", m.name, "",
			"reply does not fit the proxy's result type", cerr))}
	}
	return []reflect.Value{v, errV(nil)}
}
