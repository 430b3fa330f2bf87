package nacos_test

import (
	"context"
	"fmt"
	"os"
	"sort"
	"testing"
	"time"

	"github.com/nacos-group/nacos-sdk-go/v2/model"
	"github.com/stretchr/testify/require"

	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/internal/nacos"
	"github.com/fleetrpc/fleet/internal/nacos/nacostest"
	"github.com/fleetrpc/fleet/internal/testutil"
)

func client(t *testing.T, addr, query string, opts ...nacos.NamingOption) *nacos.NamingClient {
	t.Helper()
	cfg, err := nacos.ParseURL(common.MustParse("nacos://" + addr + "?" + query))
	require.NoError(t, err)
	c, err := nacos.NewNamingClient(cfg, opts...)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, c.Close()) })
	return c
}

// states collects the service states a subscription is given.
type states chan model.Service

func (s states) fn(svc model.Service) { s <- svc }

// until waits for a state whose sorted ip:port list is want.
func (s states) until(t *testing.T, want ...string) model.Service {
	t.Helper()
	sort.Strings(want)
	timeout := time.After(testutil.DefaultTimeout * 2)
	var last []string
	for {
		select {
		case svc := <-s:
			last = addrs(svc)
			if fmt.Sprint(last) == fmt.Sprint(want) {
				return svc
			}
		case <-timeout:
			t.Fatalf("no state %v; last %v", want, last)
		}
	}
}

func addrs(svc model.Service) []string {
	out := []string{}
	for _, h := range svc.Hosts {
		out = append(out, fmt.Sprintf("%s:%d", h.Ip, h.Port))
	}
	sort.Strings(out)
	return out
}

func TestNamingRegisterSubscribePush(t *testing.T) {
	addr := nacostest.Addr(t)
	ns := nacostest.Unique(t)
	ctx := context.Background()
	provider := client(t, addr, "namespace="+ns)
	consumer := client(t, addr, "namespace="+ns)
	const svc = "providers:org.fleet.Greeter::"

	s := make(states, 16)
	first, stop, err := consumer.Subscribe(ctx, svc, nacos.DefaultGroup, s.fn)
	require.NoError(t, err)
	defer stop()
	require.Empty(t, first.Hosts)

	require.NoError(t, provider.Register(ctx, svc, nacos.DefaultGroup, model.Instance{
		Ip: "127.0.0.1", Port: 20880, Weight: 3, Enable: true, Healthy: true,
		Metadata: map[string]string{"application": "p", "side": "provider"},
	}))
	got := s.until(t, "127.0.0.1:20880")
	require.Equal(t, "p", got.Hosts[0].Metadata["application"])
	require.Equal(t, 3.0, got.Hosts[0].Weight)
	require.True(t, got.Hosts[0].Ephemeral)

	// A second instance of the same service from the same client: both stay.
	require.NoError(t, provider.Register(ctx, svc, nacos.DefaultGroup, model.Instance{
		Ip: "127.0.0.1", Port: 20881, Weight: 1, Enable: true, Healthy: true,
		Metadata: map[string]string{"application": "p"},
	}))
	s.until(t, "127.0.0.1:20880", "127.0.0.1:20881")
	q, err := consumer.Query(ctx, svc, nacos.DefaultGroup)
	require.NoError(t, err)
	require.Equal(t, []string{"127.0.0.1:20880", "127.0.0.1:20881"}, addrs(q))

	require.NoError(t, provider.Deregister(ctx, svc, nacos.DefaultGroup, "127.0.0.1", 20880))
	s.until(t, "127.0.0.1:20881")
	require.NoError(t, provider.Deregister(ctx, svc, nacos.DefaultGroup, "127.0.0.1", 20881))
	s.until(t)

	names, err := consumer.ListServices(ctx, nacos.DefaultGroup)
	require.NoError(t, err)
	require.Contains(t, names, svc)
}

func TestNamingOtherGroupByPolling(t *testing.T) {
	addr := nacostest.Addr(t)
	ns := nacostest.Unique(t)
	ctx := context.Background()
	provider := client(t, addr, "namespace="+ns)
	consumer := client(t, addr, "namespace="+ns+"&nacos.poll=300ms")
	const svc = "providers:org.fleet.Greeter::"
	s := make(states, 16)
	_, stop, err := consumer.Subscribe(ctx, svc, "g1", s.fn)
	require.NoError(t, err)
	defer stop()
	require.NoError(t, provider.Register(ctx, svc, "g1", model.Instance{Ip: "127.0.0.1", Port: 1, Weight: 1, Enable: true, Healthy: true}))
	s.until(t, "127.0.0.1:1")
	require.NoError(t, provider.Close())
	s.until(t)
}

func TestNamingNoFilesInWorkingDirectory(t *testing.T) {
	addr := nacostest.Addr(t)
	before, err := os.ReadDir(".")
	require.NoError(t, err)
	c := client(t, addr, "namespace="+nacostest.Unique(t))
	require.NoError(t, c.Register(context.Background(), "providers:x::", nacos.DefaultGroup, model.Instance{Ip: "127.0.0.1", Port: 2, Weight: 1, Enable: true, Healthy: true}))
	require.NoError(t, c.Close())
	after, err := os.ReadDir(".")
	require.NoError(t, err)
	require.Equal(t, len(before), len(after))
	_, err = os.Stat("/naming")
	require.True(t, os.IsNotExist(err), "the SDK wrote its cache under /naming")
}

func TestNamingServerDownAtStartThenUp(t *testing.T) {
	p := nacostest.StartPolaris(t)
	p.Stop()
	up := make(chan bool, 8)
	c := client(t, p.Addr(), "timeout=2000&nacos.poll=300ms", nacos.WithConnectionListener(func(ok bool) { up <- ok }))
	require.False(t, c.Connected())
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	err := c.Register(ctx, "providers:y::", nacos.DefaultGroup, model.Instance{Ip: "127.0.0.1", Port: 3, Weight: 1, Enable: true, Healthy: true})
	require.Error(t, err)
	p.Start()
	select {
	case ok := <-up:
		require.True(t, ok)
	case <-time.After(30 * time.Second):
		t.Fatal("no connection after the server came up")
	}
	// The registration that failed was sent again on connecting.
	other := client(t, p.Addr(), "")
	s := make(states, 16)
	_, stop, err := other.Subscribe(context.Background(), "providers:y::", nacos.DefaultGroup, s.fn)
	require.NoError(t, err)
	defer stop()
	s.until(t, "127.0.0.1:3")
}

func TestNamingRegisterAll(t *testing.T) {
	addr := nacostest.Addr(t)
	ns := nacostest.Unique(t)
	ctx := context.Background()
	provider := client(t, addr, "namespace="+ns)
	consumer := client(t, addr, "namespace="+ns)
	const svc = "providers:org.fleet.Batch::"
	inst := func(port uint64, app string) model.Instance {
		return model.Instance{Ip: "127.0.0.1", Port: port, Weight: 1, Enable: true, Healthy: true, Metadata: map[string]string{"application": app}}
	}
	s := make(states, 16)
	_, stop, err := consumer.Subscribe(ctx, svc, nacos.DefaultGroup, s.fn)
	require.NoError(t, err)
	defer stop()

	// One request for several instances; a later one with an address
	// already registered replaces that instance and keeps the others.
	require.NoError(t, provider.RegisterAll(ctx, svc, nacos.DefaultGroup, []model.Instance{inst(1, "a"), inst(2, "a"), inst(3, "a")}))
	s.until(t, "127.0.0.1:1", "127.0.0.1:2", "127.0.0.1:3")
	require.NoError(t, provider.RegisterAll(ctx, svc, nacos.DefaultGroup, []model.Instance{inst(2, "b"), inst(4, "b")}))
	// polaris applies a batch instance by instance: wait for the whole of it.
	want := map[uint64]string{1: "a", 2: "b", 3: "a", 4: "b"}
	timeout := time.After(2 * testutil.DefaultTimeout)
	for done := false; !done; {
		select {
		case svc := <-s:
			done = len(svc.Hosts) == len(want)
			for _, h := range svc.Hosts {
				done = done && want[h.Port] == h.Metadata["application"] && h.Ephemeral
			}
		case <-timeout:
			t.Fatal("the second batch never showed whole")
		}
	}
}
