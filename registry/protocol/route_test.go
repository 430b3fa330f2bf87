package protocol

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/protocol/injvm"
	"github.com/fleetrpc/fleet/registry/memory"
	_ "github.com/fleetrpc/fleet/router/condition" // route://…?router=condition
)

func TestConditionRouteFromTheRegistry(t *testing.T) {
	store := "route-" + t.Name()
	jvm := injvm.New()
	defer jvm.Destroy()
	providers := New(WithProtocol(injvm.Name, jvm), WithLogger(quiet))
	defer providers.Destroy()
	export(t, providers, store, 1)
	export(t, providers, store, 2)

	consumers := New(WithProtocol(injvm.Name, jvm), WithLogger(quiet))
	defer consumers.Destroy()
	ref, err := consumers.Refer(ctx, referURL(store, map[string]string{
		common.InterfaceKey: iface, common.ApplicationKey: "consumer", common.MethodsKey: "sayHello",
	}))
	require.NoError(t, err)
	defer ref.Destroy()
	require.Len(t, answerers(t, ref, 40), 2)

	admin := memory.Open(common.MustParse("memory://" + store))
	defer admin.Close()
	rule := common.MustParse("route://0.0.0.0/" + iface + "?category=routers&router=condition&force=true&rule=" +
		common.Encode("=> remote.application = provider-2"))
	require.NoError(t, admin.Register(ctx, rule))
	require.Eventually(t, func() bool { return keysEqual(answerers(t, ref, 40), "p2") }, 10*time.Second, 5*time.Millisecond)
	require.NoError(t, admin.Unregister(ctx, rule))
	require.Eventually(t, func() bool { return len(answerers(t, ref, 40)) == 2 }, 10*time.Second, 5*time.Millisecond)
}
