package cluster

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/fleetrpc/fleet/cluster/loadbalance"
	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/directory"
	"github.com/fleetrpc/fleet/protocol"
)

var fail = []protocol.Kind{protocol.KindNetwork, protocol.KindNetwork, protocol.KindNetwork, protocol.KindNetwork}

func TestFailoverOutcomes(t *testing.T) {
	tests := []struct {
		name      string
		first     []protocol.Kind
		wantErr   error
		wantCalls []int32
	}{
		{"success", nil, nil, []int32{1, 0, 0}},
		{"business error returned, never retried", []protocol.Kind{protocol.KindBusiness}, protocol.ErrBusiness, []int32{1, 0, 0}},
		{"network error retried", []protocol.Kind{protocol.KindNetwork}, nil, []int32{1, 1, 0}},
		{"timeout retried", []protocol.Kind{protocol.KindTimeout}, nil, []int32{1, 1, 0}},
		{"forbidden retried", []protocol.Kind{protocol.KindForbidden}, nil, []int32{1, 1, 0}},
		{"serialization retried", []protocol.Kind{protocol.KindSerialization}, nil, []int32{1, 1, 0}},
		{"limit retried", []protocol.Kind{protocol.KindLimit}, nil, []int32{1, 1, 0}},
		{"unknown retried", []protocol.Kind{protocol.KindUnknown}, nil, []int32{1, 1, 0}},
		{"plain error retried", []protocol.Kind{plain}, nil, []int32{1, 1, 0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ps := providers(tt.first, nil, nil)
			res := invoke(t, join("", ps), "m")
			if tt.wantErr != nil {
				require.ErrorIs(t, res.Error(), tt.wantErr)
			} else {
				require.NoError(t, res.Error())
			}
			require.Equal(t, tt.wantCalls, calls(ps))
		})
	}
}

func TestFailoverAttempts(t *testing.T) {
	tests := []struct {
		name     string
		params   string
		inv      protocol.Invocation
		attempts int32
	}{
		{"default retries 2", "", protocol.NewInvocation("m"), 3},
		{"retries 0", "&retries=0", protocol.NewInvocation("m"), 1},
		{"negative retries still one attempt", "&retries=-3", protocol.NewInvocation("m"), 1},
		{"method retries win", "&retries=0&m.retries=1", protocol.NewInvocation("m"), 2},
		{"other method keeps the default", "&x.retries=0", protocol.NewInvocation("m"), 3},
		{"generic call reads the real method", "&m.retries=0", protocol.NewGenericInvocation("m", nil, nil), 1},
		{"retries attachment overrides", "&retries=0", protocol.NewInvocation("m").WithAttachment("retries", "3"), 4},
		{"numeric attachment", "", protocol.NewInvocation("m").WithAttachment("retries", 0), 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ps := providers(fail, fail, fail, fail, fail)
			res := join(tt.params, ps).Invoke(context.Background(), tt.inv)
			require.ErrorIs(t, res.Error(), protocol.ErrNetwork, "the last error's kind is kept")
			var total int32
			for _, c := range calls(ps) {
				require.LessOrEqual(t, c, int32(1), "each attempt goes to a provider not tried yet")
				total += c
			}
			require.Equal(t, tt.attempts, total)
		})
	}
}

func TestFailoverFinalError(t *testing.T) {
	ps := providers(fail, []protocol.Kind{protocol.KindTimeout}, fail)
	err := invoke(t, join("&retries=1", ps), "sayHello").Error()
	require.ErrorIs(t, err, protocol.ErrTimeout, "the last error's kind")
	require.ErrorContains(t, err, "Failed to invoke the method sayHello in the service org.a.Svc. "+
		"Tried 2 times of the providers [10.0.0.1:20880, 10.0.0.2:20880] (2/3) from the registry 10.0.0.9 "+
		"on the consumer 10.0.0.9 using the dubbo version 2.7.23. Last error is: timeout calling org.a.Svc.m at 10.0.0.2:20880: scripted")
	var rpcErr *protocol.Error
	require.ErrorAs(t, err, &rpcErr)
	require.Equal(t, "org.a.Svc", rpcErr.ServiceKey)
	require.Equal(t, "sayHello", rpcErr.Method)

	// A plain error is wrapped as an RPC error of KindUnknown (Java code 0).
	err = invoke(t, join("&retries=0", providers([]protocol.Kind{plain})), "m").Error()
	require.ErrorIs(t, err, protocol.ErrUnknown)
	require.ErrorContains(t, err, "plain failure")
}

func TestFailoverRelistsAfterFailure(t *testing.T) {
	first := providers(fail, fail)
	second := providers(nil)
	second[0].url = common.MustParse("dubbo://10.0.0.7:20880/org.a.Svc")
	dir := &dynDir{url: consumer(""), lists: [][]protocol.Invoker{asInvokers(first), asInvokers(second)}}
	res := invoke(t, (&Failover{LoadBalance: inOrder{}, Stats: loadbalance.NewStats()}).Join(dir), "m")
	require.NoError(t, res.Error())
	require.Equal(t, "10.0.0.7:20880", res.Value(), "the retry used the fresh snapshot")
	require.Equal(t, 2, dir.calls)

	// A fresh snapshot that is empty fails with code 6.
	dir = &dynDir{url: consumer(""), lists: [][]protocol.Invoker{asInvokers(providers(fail)), nil}}
	err := invoke(t, (&Failover{LoadBalance: inOrder{}}).Join(dir), "m").Error()
	require.ErrorIs(t, err, protocol.ErrNoProvider)
	require.ErrorContains(t, err, "from registry 10.0.0.100:2181", "the directory's registry is named")
}

func TestFailoverSkipsUnavailableProviders(t *testing.T) {
	ps := providers(fail, nil)
	ps[0].down.Store(true)
	res := invoke(t, join("&retries=0", ps), "m")
	require.NoError(t, res.Error())
	require.Equal(t, []int32{0, 1}, calls(ps))
}

func TestNoProviderWording(t *testing.T) {
	for _, name := range []string{FailoverName, FailfastName, ForkingName, BroadcastName} {
		t.Run(name, func(t *testing.T) {
			c, err := Get(name)
			require.NoError(t, err)
			inv := c.Join(directory.NewStatic(consumer("&group=g&version=1.0"), nil))
			t.Cleanup(inv.Destroy)
			err = invoke(t, inv, "sayHello").Error()
			require.ErrorIs(t, err, protocol.ErrNoProvider)
			require.ErrorContains(t, err, "Failed to invoke the method sayHello in the service org.a.Svc. "+
				"No provider available for the service g/org.a.Svc:1.0 from registry 10.0.0.9 on the consumer 10.0.0.9 "+
				"using the dubbo version 2.7.23. Please check if the providers have been started and registered.")
		})
	}
	for _, name := range []string{AvailableName, ZoneAwareName} {
		t.Run(name, func(t *testing.T) {
			c, _ := Get(name)
			err := invoke(t, c.Join(directory.NewStatic(consumer(""), nil)), "m").Error()
			require.ErrorIs(t, err, protocol.ErrNoProvider)
			require.ErrorContains(t, err, "No provider available in []")
		})
	}
}

type failingDir struct{ directory.Directory }

func (failingDir) List(context.Context, protocol.Invocation) ([]protocol.Invoker, error) {
	return nil, protocol.NewError(protocol.KindForbidden, "org.a.Svc", "", "", "forbidden", nil)
}

func TestFailoverReturnsDirectoryErrors(t *testing.T) {
	inv := (&Failover{}).Join(failingDir{directory.NewStatic(consumer(""), nil)})
	require.ErrorIs(t, invoke(t, inv, "m").Error(), protocol.ErrForbidden)
}

func TestDestroy(t *testing.T) {
	for _, name := range allStrategies() {
		t.Run(name, func(t *testing.T) {
			c := strategy(name)
			dir := &dynDir{url: consumer(""), lists: [][]protocol.Invoker{asInvokers(providers(nil))}}
			inv := c.Join(dir)
			require.True(t, inv.IsAvailable())
			require.Same(t, dir.url, inv.URL())
			inv.Destroy()
			inv.Destroy()
			require.True(t, dir.gone.Load(), "destroying the cluster invoker destroys the directory")
			require.False(t, inv.IsAvailable())
			err := invoke(t, inv, "m").Error()
			require.EqualError(t, err, "unknown error calling org.a.Svc.m: Rpc cluster invoker for org.a.Svc on consumer 10.0.0.9 "+
				"use dubbo version 2.7.23 is now destroyed! Can not invoke any more.")
			require.False(t, errors.Is(err, protocol.ErrBusiness))
		})
	}
}

func TestRegisteredByName(t *testing.T) {
	require.Equal(t, []string{AvailableName, BroadcastName, FailbackName, FailfastName, FailoverName, FailsafeName, ForkingName, MergeableName, ZoneAwareName}, Names())
	c, err := Get(FailoverName)
	require.NoError(t, err)
	require.IsType(t, &Failover{}, c)
	_, err = Get("nope")
	require.Error(t, err)
}

func TestAttemptsAreRecordedInStats(t *testing.T) {
	stats := loadbalance.NewStats()
	ps := providers(fail, nil)
	inv := (&Failover{LoadBalance: inOrder{}, Stats: stats}).Join(directory.NewStatic(consumer(""), asInvokers(ps)))
	require.NoError(t, invoke(t, inv, "m").Error())
	a, b := stats.Method(ps[0].url, "m"), stats.Method(ps[1].url, "m")
	require.Equal(t, []int64{1, 1, 0}, []int64{a.Total(), a.Failed(), a.Active()})
	require.Equal(t, []int64{1, 1, 0}, []int64{b.Total(), b.Succeeded(), b.Active()})
}

func TestBalancerFromTheFirstCandidate(t *testing.T) {
	ps := providers(nil, nil, nil)
	for _, p := range ps {
		p.url = common.MustParse(p.url.String() + "&sayHello.loadbalance=roundrobin&loadbalance=nope")
	}
	inv := (&Failover{Stats: loadbalance.NewStats()}).Join(directory.NewStatic(consumer("&interface=org.b.Own"), asInvokers(ps)))
	for i := 0; i < 6; i++ {
		require.NoError(t, invoke(t, inv, "sayHello").Error())
	}
	require.Equal(t, []int32{2, 2, 2}, calls(ps), "roundrobin, the method's balancer")
	for i := 0; i < 3; i++ {
		require.NoError(t, invoke(t, inv, "other").Error(), "an unknown balancer falls back to random")
	}
}
