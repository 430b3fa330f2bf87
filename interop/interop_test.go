package interop

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/fleetrpc/fleet/protocol"
	"github.com/fleetrpc/fleet/protocol/dubbo"
)

func fleetCall(inv protocol.Invoker, method string, types []string, args ...any) protocol.Result {
	i := protocol.NewInvocation(method, args...)
	if types != nil {
		i = i.WithParameterTypes(types...)
	}
	return inv.Invoke(context.Background(), i)
}

// TestFleetCallsDubboGo calls the dubbo-go provider from fleet.
func TestFleetCallsDubboGo(t *testing.T) {
	inv := fleetRef(t, dubboGoAddr)

	res := fleetCall(inv, "Hello", []string{"java.lang.String"}, "héllo, 世界")
	require.NoError(t, res.Error())
	require.Equal(t, "Hello héllo, 世界", res.Value())

	res = fleetCall(inv, "Add", []string{"int", "int"}, 2, 3)
	require.NoError(t, res.Error())
	require.EqualValues(t, 5, res.Value())

	res = fleetCall(inv, "GetUser", []string{"long"}, int64(7))
	require.NoError(t, res.Error())
	u, ok := res.Value().(*User)
	require.True(t, ok, "%T", res.Value())
	require.Equal(t, "user-7", u.Name)
	require.Equal(t, int64(7), u.ID)
	require.Equal(t, []string{"a", "b"}, u.Tags)
	require.True(t, u.Created.Equal(time.UnixMilli(1700000000000)))
	require.Equal(t, "1234.50", u.Balance.String())

	saved := NewUser(41)
	saved.Status, saved.Name = Suspended, "alice"
	res = fleetCall(inv, "Save", []string{"org.apache.dubbo.sample.User"}, saved)
	require.NoError(t, res.Error())
	u = res.Value().(*User)
	require.Equal(t, int64(42), u.ID)
	require.Equal(t, Suspended, u.Status)
	require.Equal(t, "alice", u.Name)

	// A dubbo-go provider cannot take the java.util.ArrayList a Java
	// consumer (and fleet, for a declared java.util.List) sends into a Go
	// []string ("reflect: Call using []interface {} as type []string"):
	// undeclared, a []string travels as a String[], which it reads.
	res = fleetCall(inv, "Count", nil, []string{"a", "b", "a"})
	require.NoError(t, res.Error())
	require.Equal(t, map[any]any{"a": int32(2), "b": int32(1)}, res.Value())

	res = fleetCall(inv, "Whoami", nil)
	require.NoError(t, res.Error())
	require.Equal(t, "dubbo-go", res.Value())

	// A provider error is a business error carrying the Java class and message.
	res = fleetCall(inv, "GetUser", []string{"long"}, int64(-1))
	require.Error(t, res.Error())
	require.True(t, protocol.IsBusiness(res.Error()), "%v", res.Error())
	var je *dubbo.JavaException
	require.ErrorAs(t, res.Error(), &je)
	require.Contains(t, je.Message, "negative id")
	t.Logf("dubbo-go's exception: class %s, message %q", je.Class, je.Message)

	// Generic invocation.
	res = inv.Invoke(context.Background(), protocol.NewGenericInvocation("GetUser", []string{"long"}, []any{int64(7)}))
	require.NoError(t, res.Error())
	m, ok := res.Value().(map[any]any)
	require.True(t, ok, "%T", res.Value())
	require.Equal(t, "user-7", m["name"])
}

// TestDubboGoCallsFleet calls the fleet provider from dubbo-go.
func TestDubboGoCallsFleet(t *testing.T) {
	ctx := context.Background()
	s, err := toFleet.Hello(ctx, "héllo, 世界")
	require.NoError(t, err)
	require.Equal(t, "Hello héllo, 世界", s)

	n, err := toFleet.Add(ctx, 2, 3)
	require.NoError(t, err)
	require.Equal(t, int32(5), n)

	u, err := toFleet.GetUser(ctx, 7)
	require.NoError(t, err)
	require.Equal(t, "user-7", u.Name)
	require.Equal(t, []string{"a", "b"}, u.Tags)
	require.True(t, u.Created.Equal(time.UnixMilli(1700000000000)))
	require.Equal(t, "1234.50", u.Balance.String())
	require.Equal(t, map[string]string{"k": "v"}, u.Attrs)

	saved := NewUser(41)
	saved.Status = Suspended
	u, err = toFleet.Save(ctx, saved)
	require.NoError(t, err)
	require.Equal(t, int64(42), u.ID)
	require.Equal(t, Suspended, u.Status)

	m, err := toFleet.Count(ctx, []string{"a", "b", "a"})
	require.NoError(t, err)
	require.Equal(t, map[any]any{"a": int32(2), "b": int32(1)}, m)

	who, err := toFleet.Whoami(ctx)
	require.NoError(t, err)
	require.Equal(t, "fleet", who)

	_, err = toFleet.GetUser(ctx, -1)
	require.Error(t, err)
	require.Contains(t, err.Error(), "negative id")
}
