package service

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/protocol"
)

var errNotFound = errors.New("user not found")

type users struct{}

func (users) SayHello(ctx context.Context, name string) (string, error) {
	inv, _ := protocol.FromContext(ctx)
	return "Hello " + name + protocol.StringAttachment(inv, "suffix"), nil
}
func (users) Add(a, b int32) (int32, error)    { return a + b, nil }
func (users) Scale(x float64) (float64, error) { return x * 2, nil }
func (users) Find(id int64) (*string, error) {
	if id == 0 {
		return nil, errNotFound
	}
	s := "user"
	return &s, nil
}
func (users) Touch(names []string) error  { return nil }
func (users) Explode() (string, error)    { panic("kaboom") }
func (users) NotAService(s string) string { return s }
func (users) Variadic(xs ...int) error    { return nil }

func newUsers(t *testing.T) *Invoker {
	t.Helper()
	s, err := New(common.MustParse("injvm://127.0.0.1:20880/org.Users?interface=org.Users&group=g&version=1"), users{})
	require.NoError(t, err)
	return s
}

func TestMethodsAndNames(t *testing.T) {
	s := newUsers(t)
	require.Equal(t, []string{"Add", "Explode", "Find", "SayHello", "Scale", "Touch"}, s.MethodNames())
	require.True(t, s.HasMethod("sayHello"), "Java consumers call the lower-case name")
	require.True(t, s.HasMethod("SayHello"))
	require.False(t, s.HasMethod("NotAService"), "a method without an error result is not a service method")
	require.False(t, s.HasMethod("Variadic"))
	types, ok := s.ParamTypes("add")
	require.True(t, ok)
	require.Len(t, types, 2)
}

func TestInvoke(t *testing.T) {
	s := newUsers(t)
	ctx := context.Background()
	tests := []struct {
		name  string
		inv   protocol.Invocation
		value any
		kind  protocol.Kind // -1: success
		msg   string
	}{
		{"context and attachments reach the method", protocol.NewInvocation("sayHello", "world").WithAttachment("suffix", "!"), "Hello world!", -1, ""},
		{"numbers convert without loss", protocol.NewInvocation("Add", int64(2), 3), int32(5), -1, ""},
		{"int to float", protocol.NewInvocation("scale", 2), 4.0, -1, ""},
		{"overflow refused", protocol.NewInvocation("add", int64(1)<<40, 1), nil, protocol.KindSerialization, "overflows"},
		{"fraction refused", protocol.NewInvocation("add", 1.5, 1), nil, protocol.KindSerialization, "overflows"},
		{"nil for a slice", protocol.NewInvocation("touch", nil), nil, -1, ""},
		{"nil for an int refused", protocol.NewInvocation("add", nil, 1), nil, protocol.KindSerialization, "cannot use nil as int32"},
		{"wrong type refused", protocol.NewInvocation("sayHello", 3), nil, protocol.KindSerialization, "cannot use int as string"},
		{"wrong argument count", protocol.NewInvocation("add", 1), nil, protocol.KindSerialization, "got 1 arguments, method takes 2"},
		{"unknown method", protocol.NewInvocation("nope"), nil, protocol.KindUnknown, `no method "nope"`},
		{"method error is business", protocol.NewInvocation("find", int64(0)), nil, protocol.KindBusiness, "user not found"},
		{"panic is business", protocol.NewInvocation("explode"), nil, protocol.KindBusiness, "panic: kaboom"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := s.Invoke(ctx, tt.inv)
			if tt.kind < 0 {
				require.NoError(t, res.Error())
				require.Equal(t, tt.value, res.Value())
				return
			}
			require.Error(t, res.Error())
			require.Equal(t, tt.kind, protocol.KindOf(res.Error()))
			require.ErrorContains(t, res.Error(), tt.msg)
			var rpcErr *protocol.Error
			require.ErrorAs(t, res.Error(), &rpcErr)
			require.Equal(t, "g/org.Users:1", rpcErr.ServiceKey)
			require.Equal(t, "127.0.0.1:20880", rpcErr.Address)
		})
	}
	res := s.Invoke(ctx, protocol.NewInvocation("find", int64(0)))
	require.ErrorIs(t, res.Error(), errNotFound, "the provider's own error stays reachable")
}

func TestDestroyedServiceFails(t *testing.T) {
	s := newUsers(t)
	require.True(t, s.IsAvailable())
	s.Destroy()
	require.False(t, s.IsAvailable())
	require.ErrorIs(t, s.Invoke(context.Background(), protocol.NewInvocation("add", 1, 2)).Error(), protocol.ErrNetwork)
}

func TestNewRejectsUselessValues(t *testing.T) {
	u := common.MustParse("injvm://h:1/org.X")
	_, err := New(u, nil)
	require.ErrorContains(t, err, "implementation is nil")
	_, err = New(u, struct{}{})
	require.ErrorContains(t, err, "has no exported method")
}

type wide struct{ base int32 }

// Sum takes more arguments than Invoke holds on its stack.
func (w *wide) Sum(ctx context.Context, a, b, c, d, e, f, g, h, i int32) (int32, error) {
	return w.base + a + b + c + d + e + f + g + h + i, nil
}

func TestInvokePointerReceiverAndManyArguments(t *testing.T) {
	s, err := New(common.MustParse("injvm://127.0.0.1:20880/org.Wide?interface=org.Wide"), &wide{base: 100})
	require.NoError(t, err)
	args := []any{int32(1), int32(2), int32(3), int32(4), int32(5), int32(6), int32(7), int32(8), int32(9)}
	res := s.Invoke(context.Background(), protocol.NewInvocation("sum", args...))
	require.NoError(t, res.Error())
	require.Equal(t, int32(145), res.Value())
	res = s.Invoke(context.Background(), protocol.NewInvocation("sum", args[:8]...))
	require.ErrorContains(t, res.Error(), "got 8 arguments, method takes 9")
}

type shapes struct{}

func (shapes) Count() (int64, error)                              { return 7, nil }
func (shapes) Echo(ctx context.Context, b []byte) ([]byte, error) { return append(b, '!'), nil }
func (shapes) Check(s string) error {
	if s == "" {
		return errNotFound
	}
	return nil
}
func (shapes) Ping(ctx context.Context) error   { return ctx.Err() }
func (shapes) Wrap(v any) (any, error)          { return []any{v}, nil }
func (shapes) Half(x int32) (float64, error)    { return float64(x) / 2, nil }
func (shapes) Pair(a, b string) (string, error) { return a + b, nil }

// Methods of common shapes are called as typed functions (no reflection);
// arguments that need converting, and other shapes, still go through
// reflection, with the same results and errors.
func TestFastShapes(t *testing.T) {
	s, err := New(common.MustParse("injvm://127.0.0.1:20880/org.Shapes?interface=org.Shapes"), shapes{})
	require.NoError(t, err)
	for name, fast := range map[string]bool{"Count": true, "Echo": true, "Check": true, "Ping": true, "Wrap": true, "Half": true, "Pair": false} {
		require.Equal(t, fast, s.methods[name].fast != nil, name)
	}
	ctx := context.Background()
	tests := []struct {
		name  string
		inv   protocol.Invocation
		value any
		err   error
	}{
		{"no argument", protocol.NewInvocation("count"), int64(7), nil},
		{"context and bytes", protocol.NewInvocation("echo", []byte("hi")), []byte("hi!"), nil},
		{"nil bytes", protocol.NewInvocation("echo", nil), []byte("!"), nil},
		{"error only, ok", protocol.NewInvocation("check", "x"), nil, nil},
		{"error only, failing", protocol.NewInvocation("check", ""), nil, errNotFound},
		{"context only", protocol.NewInvocation("ping"), nil, nil},
		{"any", protocol.NewInvocation("wrap", "v"), []any{"v"}, nil},
		{"nil any (converted)", protocol.NewInvocation("wrap", nil), []any{nil}, nil},
		{"int64 narrowed to int32 (converted)", protocol.NewInvocation("half", int64(3)), 1.5, nil},
		{"exact int32", protocol.NewInvocation("half", int32(5)), 2.5, nil},
		{"two arguments (reflection)", protocol.NewInvocation("pair", "a", "b"), "ab", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := s.Invoke(ctx, tt.inv)
			if tt.err != nil {
				require.ErrorIs(t, res.Error(), tt.err)
				require.Equal(t, protocol.KindBusiness, protocol.KindOf(res.Error()))
				return
			}
			require.NoError(t, res.Error())
			require.Equal(t, tt.value, res.Value())
		})
	}
	res := s.Invoke(ctx, protocol.NewInvocation("half", "x"))
	require.ErrorContains(t, res.Error(), "cannot use string as int32", "a wrong type is refused as before")
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	require.ErrorIs(t, s.Invoke(cancelled, protocol.NewInvocation("ping")).Error(), context.Canceled, "the method gets the caller's context")
}
