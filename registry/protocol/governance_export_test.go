package protocol

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/internal/testutil"
	rpc "github.com/fleetrpc/fleet/protocol"
	"github.com/fleetrpc/fleet/protocol/injvm"
	"github.com/fleetrpc/fleet/protocol/service"
	"github.com/fleetrpc/fleet/registry/memory"
)

// TestProviderOverrideListener: a provider listens to its own
// configurators; a weight override re-registers it with the new weight
// (its share of 1,000 calls moves), disabled=true takes it out of the
// consumers' lists, deleting the rule restores its URL, and no call fails
// while it happens.
func TestProviderOverrideListener(t *testing.T) {
	a := newAdmin(t)
	store := "gov-export-" + t.Name()
	jvm := injvm.New()
	defer jvm.Destroy()
	providers := New(WithProtocol(injvm.Name, jvm), WithLogger(quiet), WithConfigCenterURL(a.centerURL()))
	defer providers.Destroy()
	var exps []rpc.Exporter
	for port := 1; port <= 2; port++ {
		u := providerURL(port, map[string]string{common.ApplicationKey: "demo-provider"})
		svc, err := service.New(u, &greeter{name: fmt.Sprintf("p%d", port)})
		require.NoError(t, err)
		e, err := providers.Export(ctx, common.MustParse("memory://"+store+"?export="+u.Encoded()), svc)
		require.NoError(t, err)
		exps = append(exps, e)
	}
	consumers := New(WithProtocol(injvm.Name, jvm), WithLogger(quiet), WithoutConfigCenter())
	defer consumers.Destroy()
	ref, err := consumers.Refer(ctx, referURL(store, map[string]string{
		common.InterfaceKey: iface, common.ApplicationKey: "demo-consumer", common.MethodsKey: "sayHello", common.SideKey: common.ConsumerSide,
	}))
	require.NoError(t, err)
	defer ref.Destroy()
	bothAnswer(t, ref)

	// Calls run all along; none may fail.
	var failed atomic.Int64
	var calls atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			if _, err := call(ref); err != nil {
				failed.Add(1)
			}
			calls.Add(1)
		}
	}()

	a.put("demo-provider"+ConfiguratorsSuffix, `configVersion: v3.0
scope: application
key: demo-provider
configs:
  - addresses: ["127.0.0.1:2"]
    side: provider
    parameters: {weight: 900}
`)
	require.Eventually(t, func() bool {
		got := answerers(t, ref, 1000)
		return got["p2"] > 800 && got["p1"] > 20
	}, testutil.DefaultTimeout, 20*time.Millisecond, "p2 re-registered with weight 900")

	a.put("demo-provider"+ConfiguratorsSuffix, `configVersion: v3.0
scope: application
key: demo-provider
configs:
  - addresses: ["127.0.0.1:2"]
    side: provider
    parameters: {disabled: true}
`)
	onlyFrom(t, ref, "p1")

	a.put("demo-provider"+ConfiguratorsSuffix, "{{ not yaml")
	time.Sleep(200 * time.Millisecond)
	onlyFrom(t, ref, "p1") // a broken rule changes nothing

	a.rm("demo-provider" + ConfiguratorsSuffix)
	require.Eventually(t, func() bool {
		got := answerers(t, ref, 1000)
		return got["p2"] > 350 && got["p2"] < 650
	}, testutil.DefaultTimeout, 20*time.Millisecond, "the exported URL again")
	close(stop)
	wg.Wait()
	require.Greater(t, calls.Load(), int64(0))
	require.Zero(t, failed.Load(), "no call failed while the provider was re-registered")

	// Unexport withdraws the URL registered now: after a re-registration
	// (disabled again) the consumer has no provider left.
	a.put("demo-provider"+ConfiguratorsSuffix, "configVersion: v3.0\nscope: application\nkey: demo-provider\nconfigs:\n  - addresses: [\"127.0.0.1:1\"]\n    side: provider\n    parameters: {weight: 7}\n")
	require.Eventually(t, func() bool { return answerers(t, ref, 200)["p2"] > 150 }, testutil.DefaultTimeout, 10*time.Millisecond)
	view := memory.Open(common.MustParse("memory://" + store))
	defer view.Close()
	query := common.NewURL("consumer", "127.0.0.1", 0, iface, map[string]string{common.InterfaceKey: iface, common.CategoryKey: common.ProvidersCategory})
	listed, err := view.Lookup(ctx, query)
	require.NoError(t, err)
	require.Len(t, listed, 2)
	for _, e := range exps {
		e.Unexport()
	}
	listed, err = view.Lookup(ctx, query)
	require.NoError(t, err)
	require.Empty(t, listed, "the re-registered URL is withdrawn, not the exported one: %v", listed)
}
