package dubbo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/protocol"
	"github.com/fleetrpc/fleet/protocol/service"
)

const userService = "org.apache.dubbo.sample.UserService"

// userImpl is a Go UserService as the Java one of the captures behaves.
type userImpl struct {
	port    int
	started chan struct{} // receives when Sleep starts, if set
}

func (u *userImpl) GetUser(id int64) (*User, error) {
	if id < 0 {
		return nil, &JavaException{Class: "java.lang.IllegalArgumentException", Message: "negative id"}
	}
	return user(id), nil
}

func (u *userImpl) ListUsers(n int32) ([]*User, error) {
	out := make([]*User, n)
	for i := range out {
		out[i] = user(int64(i + 1))
	}
	return out, nil
}

func (u *userImpl) Count(words []string) (map[string]int32, error) {
	m := map[string]int32{}
	for _, w := range words {
		m[w]++
	}
	return m, nil
}

func (u *userImpl) Add(a, b int32) (int32, error)      { return a + b, nil }
func (u *userImpl) AddLong(a, b int64) (int64, error)  { return a + b, nil }
func (u *userImpl) Flip(b bool) (bool, error)          { return !b, nil }
func (u *userImpl) Half(d float64) (float64, error)    { return d / 2, nil }
func (u *userImpl) EchoBytes(b []byte) ([]byte, error) { return b, nil }
func (u *userImpl) Echo(s *string) (*string, error)    { return s, nil }
func (u *userImpl) Ping() error                        { return nil }
func (u *userImpl) Fail(msg string) error              { return errors.New(msg) }
func (u *userImpl) Save(x *User) (*User, error)        { c := *x; c.ID++; return &c, nil }
func (u *userImpl) Whoami() (string, error)            { return fmt.Sprintf("go-%d", u.port), nil }
func (u *userImpl) Big(n int32) (string, error)        { return strings.Repeat("x", int(n)), nil }
func (u *userImpl) Sleep(ctx context.Context, ms int32) (string, error) {
	if u.started != nil {
		u.started <- struct{}{}
	}
	select {
	case <-time.After(time.Duration(ms) * time.Millisecond):
		return "slept", nil
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// provider exports impl on a free loopback port with the given URL
// parameters and returns the URL to refer.
func provider(t testing.TB, p *Protocol, impl any, params string) *common.URL {
	t.Helper()
	u := common.MustParse("dubbo://127.0.0.1:0/" + userService + "?interface=" + userService + params)
	svc, err := service.New(u, impl)
	require.NoError(t, err)
	exp, err := p.Export(svc)
	require.NoError(t, err)
	t.Cleanup(exp.Unexport)
	return exp.(*exporter).URL()
}

func newProto(t testing.TB) *Protocol {
	t.Helper()
	p := New(WithLogger(quietLogger()), WithGracePeriod(2*time.Second))
	t.Cleanup(p.Destroy)
	return p
}

func refer(t testing.TB, p *Protocol, u *common.URL) protocol.Invoker {
	t.Helper()
	inv, err := p.Refer(u)
	require.NoError(t, err)
	t.Cleanup(inv.Destroy)
	return inv
}

func invoke(inv protocol.Invoker, method string, types []string, args ...any) protocol.Result {
	i := protocol.NewInvocation(method, args...)
	if types != nil {
		i = i.WithParameterTypes(types...)
	}
	return inv.Invoke(context.Background(), i)
}

func TestLoopbackCalls(t *testing.T) {
	server, client := newProto(t), newProto(t)
	impl := &userImpl{}
	u := provider(t, server, impl, "")
	impl.port = u.Port()
	inv := refer(t, client, u)

	res := invoke(inv, "getUser", []string{"long"}, int64(7))
	require.NoError(t, res.Error())
	require.Equal(t, normalize(user(7)), normalize(res.Value()))
	require.Equal(t, "2.0.2", res.Attachments()["dubbo"])

	res = invoke(inv, "listUsers", []string{"int"}, 2)
	require.NoError(t, res.Error())
	require.Equal(t, normalize([]any{user(1), user(2)}), normalize(res.Value()))

	res = invoke(inv, "count", []string{"java.util.List"}, []string{"a", "b", "a"})
	require.NoError(t, res.Error())
	require.Equal(t, map[any]any{"a": int32(2), "b": int32(1)}, res.Value())

	for _, c := range []struct {
		method string
		types  []string
		args   []any
		want   any
	}{
		{"add", []string{"int", "int"}, []any{2, 3}, int32(5)},
		{"addLong", nil, []any{int64(1) << 40, int64(1)}, int64(1)<<40 + 1},
		{"flip", nil, []any{true}, false},
		{"half", nil, []any{3.0}, 1.5},
		{"echoBytes", nil, []any{[]byte{0, 1, 2, 255}}, []byte{0, 1, 2, 255}},
		{"echo", []string{"java.lang.String"}, []any{"héllo, 世界"}, "héllo, 世界"},
		{"echo", []string{"java.lang.String"}, []any{nil}, nil},
		{"ping", nil, nil, nil},
		{"whoami", nil, nil, fmt.Sprintf("go-%d", u.Port())},
		{"Whoami", nil, nil, fmt.Sprintf("go-%d", u.Port())},
	} {
		res := invoke(inv, c.method, c.types, c.args...)
		require.NoError(t, res.Error(), c.method)
		require.Equal(t, c.want, res.Value(), c.method)
	}

	alice := &User{Status: Suspended, Attrs: map[string]string{"role": "admin"}, Tags: []string{"x"},
		Balance: decimal("99.99"), Created: time.UnixMilli(1700000000000), Age: 25, Name: "alice", ID: 41}
	res = invoke(inv, "save", nil, alice)
	require.NoError(t, res.Error())
	saved := *alice
	saved.ID = 42
	require.Equal(t, normalize(&saved), normalize(res.Value()))
}

func TestLoopbackBusinessError(t *testing.T) {
	server, client := newProto(t), newProto(t)
	inv := refer(t, client, provider(t, server, &userImpl{}, ""))
	res := invoke(inv, "fail", nil, "go error")
	err := res.Error()
	require.Error(t, err)
	require.ErrorIs(t, err, protocol.ErrBusiness)
	require.True(t, protocol.IsBusiness(err))
	require.False(t, protocol.KindOf(err).Retryable())
	var je *JavaException
	require.ErrorAs(t, err, &je)
	require.Equal(t, RuntimeExceptionClass, je.Class)
	require.Equal(t, "go error", je.Message)
	var pe *protocol.Error
	require.ErrorAs(t, err, &pe)
	require.Equal(t, userService, pe.ServiceKey)
	require.Equal(t, inv.URL().Address(), pe.Address)
}

func TestLoopbackGeneric(t *testing.T) {
	server, client := newProto(t), newProto(t)
	inv := refer(t, client, provider(t, server, &userImpl{}, ""))
	res := inv.Invoke(context.Background(), protocol.NewGenericInvocation("getUser", []string{"long"}, []any{int64(7)}))
	require.NoError(t, res.Error())
	require.Equal(t, normalize(genericUser7(time.UnixMilli(1700000000000))), normalize(res.Value()))

	// A POJO passed as a map.
	res = inv.Invoke(context.Background(), protocol.NewGenericInvocation("save", []string{"org.apache.dubbo.sample.User"},
		[]any{map[string]any{"class": "org.apache.dubbo.sample.User", "id": int64(1), "name": "bob", "age": int32(3)}}))
	require.NoError(t, res.Error())
	m := res.Value().(map[any]any)
	require.Equal(t, int64(2), m["id"])
	require.Equal(t, "bob", m["name"])

	res = inv.Invoke(context.Background(), protocol.NewGenericInvocation("getUser", []string{"long"}, []any{int64(-1)}))
	var je *JavaException
	require.ErrorAs(t, res.Error(), &je)
	require.True(t, protocol.IsBusiness(res.Error()))
	require.Equal(t, "java.lang.IllegalArgumentException", je.Class)
	require.Equal(t, "negative id", je.Message)

	res = inv.Invoke(context.Background(), protocol.NewInvocation(protocol.EchoMethod, "ping"))
	require.NoError(t, res.Error())
	require.Equal(t, "ping", res.Value())
}

func TestLoopbackUnknown(t *testing.T) {
	server, client := newProto(t), newProto(t)
	u := provider(t, server, &userImpl{}, "")
	inv := refer(t, client, u)
	res := invoke(inv, "nope", nil)
	require.ErrorIs(t, res.Error(), protocol.ErrSerialization)
	require.Contains(t, res.Error().Error(), "Service not found:"+userService+", nope")

	other := refer(t, client, u.WithParam("version", "9.9.9"))
	res = invoke(other, "ping", nil)
	require.ErrorIs(t, res.Error(), protocol.ErrNetwork)
	require.Contains(t, res.Error().Error(), "Not found exported service: "+userService+":9.9.9:")
	require.Contains(t, res.Error().Error(), "may be version or group mismatch")
}

func TestLoopbackConcurrent(t *testing.T) {
	server, client := newProto(t), newProto(t)
	inv := refer(t, client, provider(t, server, &userImpl{}, ""))
	var wg sync.WaitGroup
	for g := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 50 {
				res := invoke(inv, "add", []string{"int", "int"}, g, i)
				if !assertNoErr(t, res.Error()) {
					return
				}
				if res.Value() != int32(g+i) {
					t.Errorf("add(%d, %d) = %v", g, i, res.Value())
					return
				}
			}
		}()
	}
	wg.Wait()
}

func assertNoErr(t *testing.T, err error) bool {
	if err != nil {
		t.Error(err)
		return false
	}
	return true
}

func exportImpl(t testing.TB, p *Protocol, u *common.URL, impl any) *exporter {
	t.Helper()
	svc, err := service.New(u, impl)
	require.NoError(t, err)
	exp, err := p.Export(svc)
	require.NoError(t, err)
	t.Cleanup(exp.Unexport)
	return exp.(*exporter)
}
