package nacos_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	_ "github.com/fleetrpc/fleet/cluster"
	_ "github.com/fleetrpc/fleet/cluster/loadbalance"
	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/internal/nacos/nacostest"
	"github.com/fleetrpc/fleet/internal/testutil"
	"github.com/fleetrpc/fleet/protocol"
	"github.com/fleetrpc/fleet/protocol/injvm"
	"github.com/fleetrpc/fleet/protocol/service"
	_ "github.com/fleetrpc/fleet/registry/memory"
	regprotocol "github.com/fleetrpc/fleet/registry/protocol"
)

type greeter struct{ name string }

func (g greeter) SayHello(_ context.Context, who string) (string, error) { return g.name, nil }

// TestGovernanceFromNacos: a condition rule written to the Nacos config
// center (data id <interface>::.condition-router, group dubbo) moves the
// calls of a reference; deleting it brings them back.
func TestGovernanceFromNacos(t *testing.T) {
	c := open(t, nacostest.Addr(t))
	const iface = "org.example.Greeter"
	store := "nacos-gov-" + t.Name()
	jvm := injvm.New()
	defer jvm.Destroy()
	providers := regprotocol.New(regprotocol.WithProtocol(injvm.Name, jvm), regprotocol.WithoutConfigCenter())
	defer providers.Destroy()
	for port := 1; port <= 2; port++ {
		u := common.NewURL(injvm.Name, "127.0.0.1", port, iface, map[string]string{
			common.InterfaceKey: iface, common.MethodsKey: "sayHello", common.SideKey: common.ProviderSide, common.ApplicationKey: "p",
		})
		svc, err := service.New(u, greeter{name: fmt.Sprintf("p%d", port)})
		require.NoError(t, err)
		_, err = providers.Export(ctx, common.MustParse("memory://"+store+"?export="+u.Encoded()), svc)
		require.NoError(t, err)
	}
	consumers := regprotocol.New(regprotocol.WithProtocol(injvm.Name, jvm), regprotocol.WithConfigCenter(c))
	defer consumers.Destroy()
	q := map[string]string{common.InterfaceKey: iface, common.ApplicationKey: "c", common.MethodsKey: "sayHello", common.SideKey: common.ConsumerSide}
	ref, err := consumers.Refer(ctx, common.MustParse("memory://"+store+"?refer="+common.Encode(common.ToQueryString(q))))
	require.NoError(t, err)
	defer ref.Destroy()
	who := func() map[string]int {
		got := map[string]int{}
		for i := 0; i < 40; i++ {
			res := ref.Invoke(ctx, protocol.NewInvocation("sayHello", "x"))
			require.NoError(t, res.Error())
			got[res.Value().(string)]++
		}
		return got
	}
	require.Eventually(t, func() bool { g := who(); return g["p1"] > 0 && g["p2"] > 0 }, testutil.DefaultTimeout, 50*time.Millisecond)

	key := iface + "::" + regprotocol.ConditionRouterSuffix
	publish(t, c, key, "force: true\nconditions: [\"=> port = 2\"]\n")
	require.Eventually(t, func() bool { g := who(); return g["p1"] == 0 }, 3*testutil.DefaultTimeout, 50*time.Millisecond, "calls move to p2")
	remove(t, c, key)
	require.Eventually(t, func() bool { g := who(); return g["p1"] > 0 && g["p2"] > 0 }, 3*testutil.DefaultTimeout, 50*time.Millisecond, "calls come back")
}
