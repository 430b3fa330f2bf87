package service

import (
	"context"
	"reflect"
)

// fastCall calls one method of a common shape as a typed Go function, not
// through reflect.Value.Call: no call values, no result values allocated,
// no assignability checks per call. ok is false, and the method was not
// called, when an argument is not of the parameter's exact type; the
// caller then converts it and calls through reflection.
type fastCall func(ctx context.Context, args []any) (v any, ok bool, err error)

// fastShapes maps the type of a bound method value to the maker of its
// fastCall. Written by init only.
var fastShapes = map[reflect.Type]func(fn reflect.Value) fastCall{}

// fastCallOf returns the typed call of the bound method fn, or nil when its
// shape has none: at most one parameter besides an optional context, of
// one of the common types (string, bool, int, int32, int64, float64,
// []byte, any), and a result of one of them before the error, or only the
// error.
func fastCallOf(fn reflect.Value) fastCall {
	if mk := fastShapes[fn.Type()]; mk != nil {
		return mk(fn)
	}
	return nil
}

func init() {
	addResults[struct{}]() // methods with no parameter besides the context
	addResults[string]()
	addResults[bool]()
	addResults[int]()
	addResults[int32]()
	addResults[int64]()
	addResults[float64]()
	addResults[[]byte]()
	addResults[any]()
}

// addResults adds the shapes taking an A (none when A is struct{}) for
// every common result type.
func addResults[A any]() {
	addShape[A, string]()
	addShape[A, bool]()
	addShape[A, int]()
	addShape[A, int32]()
	addShape[A, int64]()
	addShape[A, float64]()
	addShape[A, []byte]()
	addShape[A, any]()
	addErrorOnly[A]()
}

// arg returns the argument of a shape taking an A: none when A is
// struct{} (Invoke has checked the count), else args[0] when it is an A.
func arg[A any](args []any) (A, bool) {
	var a A
	if len(args) == 0 {
		return a, true
	}
	a, ok := args[0].(A)
	return a, ok
}

// addShape adds func([ctx,] [A]) (R, error).
func addShape[A, R any]() {
	if _, none := any(*new(A)).(struct{}); none {
		fastShapes[reflect.TypeFor[func() (R, error)]()] = func(fn reflect.Value) fastCall {
			f := fn.Interface().(func() (R, error))
			return func(_ context.Context, _ []any) (any, bool, error) {
				r, err := f()
				return r, true, err
			}
		}
		fastShapes[reflect.TypeFor[func(context.Context) (R, error)]()] = func(fn reflect.Value) fastCall {
			f := fn.Interface().(func(context.Context) (R, error))
			return func(ctx context.Context, _ []any) (any, bool, error) {
				r, err := f(ctx)
				return r, true, err
			}
		}
		return
	}
	fastShapes[reflect.TypeFor[func(A) (R, error)]()] = func(fn reflect.Value) fastCall {
		f := fn.Interface().(func(A) (R, error))
		return func(_ context.Context, args []any) (any, bool, error) {
			a, ok := arg[A](args)
			if !ok {
				return nil, false, nil
			}
			r, err := f(a)
			return r, true, err
		}
	}
	fastShapes[reflect.TypeFor[func(context.Context, A) (R, error)]()] = func(fn reflect.Value) fastCall {
		f := fn.Interface().(func(context.Context, A) (R, error))
		return func(ctx context.Context, args []any) (any, bool, error) {
			a, ok := arg[A](args)
			if !ok {
				return nil, false, nil
			}
			r, err := f(ctx, a)
			return r, true, err
		}
	}
}

// addErrorOnly adds func([ctx,] [A]) error.
func addErrorOnly[A any]() {
	if _, none := any(*new(A)).(struct{}); none {
		fastShapes[reflect.TypeFor[func() error]()] = func(fn reflect.Value) fastCall {
			f := fn.Interface().(func() error)
			return func(_ context.Context, _ []any) (any, bool, error) { return nil, true, f() }
		}
		fastShapes[reflect.TypeFor[func(context.Context) error]()] = func(fn reflect.Value) fastCall {
			f := fn.Interface().(func(context.Context) error)
			return func(ctx context.Context, _ []any) (any, bool, error) { return nil, true, f(ctx) }
		}
		return
	}
	fastShapes[reflect.TypeFor[func(A) error]()] = func(fn reflect.Value) fastCall {
		f := fn.Interface().(func(A) error)
		return func(_ context.Context, args []any) (any, bool, error) {
			a, ok := arg[A](args)
			if !ok {
				return nil, false, nil
			}
			return nil, true, f(a)
		}
	}
	fastShapes[reflect.TypeFor[func(context.Context, A) error]()] = func(fn reflect.Value) fastCall {
		f := fn.Interface().(func(context.Context, A) error)
		return func(ctx context.Context, args []any) (any, bool, error) {
			a, ok := arg[A](args)
			if !ok {
				return nil, false, nil
			}
			return nil, true, f(ctx, a)
		}
	}
}
