package protocol

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/fleetrpc/fleet/cluster"
	"github.com/fleetrpc/fleet/common"
	rpc "github.com/fleetrpc/fleet/protocol"
	"github.com/fleetrpc/fleet/protocol/injvm"
	"github.com/fleetrpc/fleet/protocol/service"
)

// moody answers sayHello and fails boom with a business error.
type moody struct{}

func (moody) SayHello(_ context.Context, who string) (string, error) {
	return "real: hello " + who, nil
}
func (moody) Boom(context.Context) (string, error) { return "", errors.New("boom") }

// TestMockThroughTheRegistry: the reference's mock param degrades calls
// end to end, over the embedded registry and injvm: force never calls,
// fail answers only RPC failures (here: the provider gone), never business
// errors; per method; throw; and a Go function.
func TestMockThroughTheRegistry(t *testing.T) {
	store := "mock-" + t.Name()
	jvm := injvm.New()
	defer jvm.Destroy()
	providers := New(WithProtocol(injvm.Name, jvm), WithLogger(quiet))
	defer providers.Destroy()
	u := providerURL(1, map[string]string{common.MethodsKey: "sayHello,boom"})
	svc, err := service.New(u, moody{})
	require.NoError(t, err)
	exp, err := providers.Export(ctx, common.MustParse("memory://"+store+"?export="+u.Encoded()), svc)
	require.NoError(t, err)

	consumers := New(WithProtocol(injvm.Name, jvm), WithLogger(quiet), WithMockFunc(func(_ context.Context, inv rpc.Invocation) (any, error) {
		return "go mock of " + inv.MethodName(), nil
	}))
	defer consumers.Destroy()
	refer := func(mock map[string]string) rpc.Invoker {
		q := map[string]string{common.InterfaceKey: iface, common.ApplicationKey: "consumer", common.MethodsKey: "sayHello,boom", common.CheckKey: "false"}
		for k, v := range mock {
			q[k] = v
		}
		ref, err := consumers.Refer(ctx, referURL(store, q))
		require.NoError(t, err)
		t.Cleanup(ref.Destroy)
		return ref
	}
	invoke := func(ref rpc.Invoker, method string, args ...any) rpc.Result {
		return ref.Invoke(ctx, rpc.NewInvocation(method, args...))
	}

	forced := refer(map[string]string{"mock": "force:return \"degraded\""})
	fail := refer(map[string]string{"mock": "fail:return fallback"})
	perMethod := refer(map[string]string{"sayHello.mock": "return null"})
	thrown := refer(map[string]string{"mock": "throw com.foo.DegradedException"})
	goFunc := refer(map[string]string{"mock": "true"})

	// The provider is up.
	require.Equal(t, "degraded", invoke(forced, "sayHello", "bob").Value(), "force never calls")
	require.Equal(t, "real: hello bob", invoke(fail, "sayHello", "bob").Value())
	res := invoke(fail, "boom")
	require.True(t, rpc.IsBusiness(res.Error()), "a business error is not mocked: %v", res.Error())
	require.ErrorContains(t, res.Error(), "boom")
	require.Equal(t, "real: hello bob", invoke(goFunc, "sayHello", "bob").Value())

	// The provider goes: every call fails with no provider, an RPC error.
	exp.Unexport()
	// Each reference has a directory of its own, notified on its own.
	require.Eventually(t, func() bool { return invoke(fail, "sayHello", "bob").Value() == "fallback" }, 10*time.Second, 5*time.Millisecond)
	require.Eventually(t, func() bool { return errors.Is(invoke(perMethod, "boom").Error(), rpc.ErrNoProvider) }, 10*time.Second, 5*time.Millisecond)
	require.Eventually(t, func() bool { return invoke(goFunc, "sayHello", "bob").Value() == "go mock of sayHello" }, 10*time.Second, 5*time.Millisecond)
	require.Eventually(t, func() bool {
		var me *cluster.MockException
		return errors.As(invoke(thrown, "sayHello", "bob").Error(), &me)
	}, 10*time.Second, 5*time.Millisecond)
	require.Equal(t, "fallback", invoke(fail, "boom").Value())
	res = invoke(perMethod, "sayHello", "bob")
	require.NoError(t, res.Error())
	require.Nil(t, res.Value())
	res = invoke(perMethod, "boom")
	require.ErrorIs(t, res.Error(), rpc.ErrNoProvider, "boom has no mock")
	res = invoke(thrown, "sayHello", "bob")
	var me *cluster.MockException
	require.ErrorAs(t, res.Error(), &me)
	require.Equal(t, "com.foo.DegradedException", me.Class)
	require.True(t, rpc.IsBusiness(res.Error()))
	require.Equal(t, "go mock of sayHello", invoke(goFunc, "sayHello", "bob").Value())
}
