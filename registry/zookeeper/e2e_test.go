package zookeeper_test

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	_ "github.com/fleetrpc/fleet/cluster" // failover
	"github.com/fleetrpc/fleet/common"
	rpc "github.com/fleetrpc/fleet/protocol"
	"github.com/fleetrpc/fleet/protocol/injvm"
	"github.com/fleetrpc/fleet/protocol/service"
	"github.com/fleetrpc/fleet/registry"
	regproto "github.com/fleetrpc/fleet/registry/protocol"
	"github.com/fleetrpc/fleet/registry/zookeeper"
)

type greeter struct{ name string }

func (g *greeter) SayHello(_ context.Context, who string) (string, error) {
	return g.name + ": hello " + who, nil
}

func sayHello(inv rpc.Invoker) (string, error) {
	res := inv.Invoke(ctx, rpc.NewInvocation("sayHello", "bob"))
	if err := res.Error(); err != nil {
		return "", err
	}
	return res.Value().(string), nil
}

// TestCallsFromSnapshotWhileZooKeeperIsDown: a consumer that starts while
// ZooKeeper is unreachable refers the service from the disk snapshot an
// earlier run left, and its calls reach the provider.
func TestCallsFromSnapshotWhileZooKeeperIsDown(t *testing.T) {
	inModes(t, testCallsFromSnapshotWhileZooKeeperIsDown)
}

func testCallsFromSnapshotWhileZooKeeperIsDown(t *testing.T, mode string) {
	group := root(t)
	file := filepath.Join(t.TempDir(), "registry.cache")
	regParams := fmt.Sprintf("zookeeper://%s?group=%s&session=8000&timeout=5000&retry.period=100&file=%s", zkAddr(t), group, file) + mode
	quiet := slog.New(slog.DiscardHandler)
	jvm := injvm.New()
	defer jvm.Destroy()

	// A provider, exported in process and registered in ZooKeeper.
	providers := regproto.New(regproto.WithProtocol(injvm.Name, jvm), regproto.WithLogger(quiet))
	defer providers.Destroy()
	pu := common.NewURL(injvm.Name, "127.0.0.1", 1, svc, map[string]string{
		common.InterfaceKey: svc, common.ApplicationKey: "p", common.MethodsKey: "sayHello", common.SideKey: common.ProviderSide,
	})
	impl, err := service.New(pu, &greeter{name: "p1"})
	require.NoError(t, err)
	_, err = providers.Export(ctx, common.MustParse(regParams+"&export="+pu.Encoded()), impl)
	require.NoError(t, err)

	refer := common.MustParse(regParams + "&refer=" + common.Encode(common.ToQueryString(map[string]string{
		common.InterfaceKey: svc, common.ApplicationKey: "c", common.MethodsKey: "sayHello",
		common.SideKey: common.ConsumerSide, common.RegisterIPKey: "127.0.0.1",
	})))

	// A first run, with ZooKeeper up, calls the provider and leaves the
	// snapshot behind.
	first := regproto.New(regproto.WithProtocol(injvm.Name, jvm), regproto.WithLogger(quiet))
	ref, err := first.Refer(ctx, refer)
	require.NoError(t, err)
	got, err := sayHello(ref)
	require.NoError(t, err)
	require.Equal(t, "p1: hello bob", got)
	first.Destroy()

	// A second run starts with ZooKeeper unreachable.
	g := &gates{}
	g.SetDown(true)
	second := regproto.New(regproto.WithProtocol(injvm.Name, jvm), regproto.WithLogger(quiet),
		regproto.WithRegistryOpener(func(u *common.URL) (registry.Registry, error) {
			// ZooKeeper is down: wait for it briefly.
			zr, err := zookeeper.New(u.WithParam("timeout", "300"), g.dialers(zookeeper.WithLogger(quiet))...)
			if err != nil {
				return nil, err
			}
			return registry.NewFailback(zr, registry.WithLogger(quiet)), nil
		}))
	defer second.Destroy()
	c, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	ref2, err := second.Refer(c, refer)
	require.NoError(t, err, "check=true is satisfied by the snapshot's providers")
	got, err = sayHello(ref2)
	require.NoError(t, err)
	require.Equal(t, "p1: hello bob", got)
}

// TestCallsSurviveConsumerSessionExpiry: while the consumer's session
// expires and recovers, with the consumer cut off from ZooKeeper for a
// while, its calls keep reaching the provider: the registry never empties
// the directory.
func TestCallsSurviveConsumerSessionExpiry(t *testing.T) {
	inModes(t, testCallsSurviveConsumerSessionExpiry)
}

func testCallsSurviveConsumerSessionExpiry(t *testing.T, mode string) {
	group := root(t)
	regParams := fmt.Sprintf("zookeeper://%s?group=%s&session=8000&timeout=5000&retry.period=100&file.cache=false", zkAddr(t), group) + mode
	quiet := slog.New(slog.DiscardHandler)
	jvm := injvm.New()
	defer jvm.Destroy()
	providers := regproto.New(regproto.WithProtocol(injvm.Name, jvm), regproto.WithLogger(quiet))
	defer providers.Destroy()
	pu := common.NewURL(injvm.Name, "127.0.0.1", 1, svc, map[string]string{
		common.InterfaceKey: svc, common.ApplicationKey: "p", common.MethodsKey: "sayHello", common.SideKey: common.ProviderSide,
	})
	impl, err := service.New(pu, &greeter{name: "p1"})
	require.NoError(t, err)
	_, err = providers.Export(ctx, common.MustParse(regParams+"&export="+pu.Encoded()), impl)
	require.NoError(t, err)

	g := &gates{}
	consumers := regproto.New(regproto.WithProtocol(injvm.Name, jvm), regproto.WithLogger(quiet),
		regproto.WithRegistryOpener(func(u *common.URL) (registry.Registry, error) {
			zr, err := zookeeper.New(u, g.dialers(zookeeper.WithLogger(quiet))...)
			if err != nil {
				return nil, err
			}
			return registry.NewFailback(zr, registry.WithLogger(quiet)), nil
		}))
	defer consumers.Destroy()
	ref, err := consumers.Refer(ctx, common.MustParse(regParams+"&refer="+common.Encode(common.ToQueryString(map[string]string{
		common.InterfaceKey: svc, common.ApplicationKey: "c", common.MethodsKey: "sayHello",
		common.SideKey: common.ConsumerSide, common.RegisterIPKey: "127.0.0.1",
	}))))
	require.NoError(t, err)

	stop := make(chan struct{})
	type tally struct{ ok, failed int }
	result := make(chan tally)
	go func() {
		var n tally
		deadline := time.After(time.Minute) // bounded whatever happens
		for {
			select {
			case <-stop:
				result <- n
				return
			case <-deadline:
				result <- n
				return
			default:
			}
			if _, err := sayHello(ref); err != nil {
				n.failed++
			} else {
				n.ok++
			}
		}
	}()

	obs := observer(t)
	consumersPath := "/" + group + "/" + svc + "/consumers"
	g.SetDown(true)
	old := expire(t, g)
	g.SetDown(false)
	require.Eventually(t, func() bool {
		children, _, err := obs.Children(consumersPath)
		if err != nil || len(children) != 1 {
			return false
		}
		_, st, err := obs.Get(consumersPath + "/" + children[0])
		return err == nil && st.EphemeralOwner != 0 && st.EphemeralOwner != old
	}, 10*time.Second, tick, "the consumer recovered its session and registration")
	close(stop)
	n := <-result
	require.Zero(t, n.failed, "no call failed (%d succeeded)", n.ok)
	require.NotZero(t, n.ok)
}
