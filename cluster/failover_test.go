package cluster

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/directory"
	"github.com/fleetrpc/fleet/protocol"
)

// scripted answers each call with the next error of its script (nil:
// success); past the script it succeeds.
type scripted struct {
	url       *common.URL
	script    []protocol.Kind // -1: success
	calls     atomic.Int32
	available bool
}

func (s *scripted) URL() *common.URL  { return s.url }
func (s *scripted) IsAvailable() bool { return s.available }
func (s *scripted) Destroy()          {}
func (s *scripted) Invoke(context.Context, protocol.Invocation) protocol.Result {
	n := int(s.calls.Add(1)) - 1
	if n < len(s.script) && s.script[n] >= 0 {
		return protocol.ErrorResult(protocol.NewError(s.script[n], s.url.ServiceKey(), "m", s.url.Address(), "scripted", nil))
	}
	return protocol.NewResult(s.url.Address(), nil)
}

func providers(scripts ...[]protocol.Kind) []*scripted {
	out := make([]*scripted, len(scripts))
	for i, sc := range scripts {
		out[i] = &scripted{url: common.MustParse(fmt.Sprintf("dubbo://10.0.0.%d:20880/org.a.Svc", i+1)), script: sc, available: true}
	}
	return out
}

// inOrder picks the first candidate, so tests know the order of attempts.
type inOrder struct{}

func (inOrder) Select(list []protocol.Invoker, _ *common.URL, _ protocol.Invocation) protocol.Invoker {
	if len(list) == 0 {
		return nil
	}
	return list[0]
}

func join(consumerParams string, ps []*scripted) protocol.Invoker {
	list := make([]protocol.Invoker, len(ps))
	for i, p := range ps {
		list[i] = p
	}
	consumer := common.MustParse("consumer://10.0.0.9/org.a.Svc?interface=org.a.Svc" + consumerParams)
	return (&Failover{LoadBalance: inOrder{}}).Join(directory.NewStatic(consumer, list))
}

var fail = []protocol.Kind{protocol.KindNetwork, protocol.KindNetwork, protocol.KindNetwork, protocol.KindNetwork}

func TestFailoverRetriesRPCErrorsElsewhere(t *testing.T) {
	ps := providers([]protocol.Kind{protocol.KindTimeout}, nil, nil)
	res := join("", ps).Invoke(context.Background(), protocol.NewInvocation("m"))
	require.NoError(t, res.Error())
	require.Equal(t, "10.0.0.2:20880", res.Value())
	require.Equal(t, int32(1), ps[0].calls.Load())
	require.Equal(t, int32(1), ps[1].calls.Load())
	require.Equal(t, int32(0), ps[2].calls.Load())
}

func TestFailoverNeverRetriesBusinessErrors(t *testing.T) {
	ps := providers([]protocol.Kind{protocol.KindBusiness}, nil)
	res := join("", ps).Invoke(context.Background(), protocol.NewInvocation("m"))
	require.ErrorIs(t, res.Error(), protocol.ErrBusiness)
	require.Equal(t, int32(1), ps[0].calls.Load())
	require.Equal(t, int32(0), ps[1].calls.Load(), "a business error is never retried")
}

func TestFailoverAttempts(t *testing.T) {
	tests := []struct {
		name     string
		params   string
		method   string
		attempts int32
	}{
		{"default retries 2", "", "m", 3},
		{"retries 0", "&retries=0", "m", 1},
		{"negative retries still one attempt", "&retries=-3", "m", 1},
		{"method retries win", "&retries=0&m.retries=1", "m", 2},
		{"other method keeps the default", "&x.retries=0", "m", 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ps := providers(fail, fail, fail, fail)
			res := join(tt.params, ps).Invoke(context.Background(), protocol.NewInvocation(tt.method))
			require.ErrorIs(t, res.Error(), protocol.ErrNetwork, "the last error's kind is kept")
			var total int32
			for _, p := range ps {
				require.LessOrEqual(t, p.calls.Load(), int32(1), "each attempt goes to a provider not tried yet")
				total += p.calls.Load()
			}
			require.Equal(t, tt.attempts, total)
		})
	}
}

func TestFailoverFinalErrorNamesProvidersTried(t *testing.T) {
	ps := providers(fail, []protocol.Kind{protocol.KindTimeout})
	err := join("&retries=1", ps).Invoke(context.Background(), protocol.NewInvocation("sayHello")).Error()
	require.ErrorIs(t, err, protocol.ErrTimeout)
	require.ErrorContains(t, err, "tried 2 times of the providers [10.0.0.1:20880, 10.0.0.2:20880] (2/2)")
	var rpcErr *protocol.Error
	require.ErrorAs(t, err, &rpcErr)
	require.Equal(t, "org.a.Svc", rpcErr.ServiceKey)
	require.Equal(t, "sayHello", rpcErr.Method)
}

func TestFailoverSkipsUnavailableProviders(t *testing.T) {
	ps := providers(fail, nil)
	ps[0].available = false
	res := join("&retries=0", ps).Invoke(context.Background(), protocol.NewInvocation("m"))
	require.NoError(t, res.Error())
	require.Equal(t, int32(0), ps[0].calls.Load())
}

func TestFailoverNoProvider(t *testing.T) {
	err := join("", nil).Invoke(context.Background(), protocol.NewInvocation("sayHello")).Error()
	require.ErrorIs(t, err, protocol.ErrNoProvider)
	require.ErrorContains(t, err, "no provider available for the service org.a.Svc")
}

type failingDir struct{ directory.Directory }

func (failingDir) List(context.Context, protocol.Invocation) ([]protocol.Invoker, error) {
	return nil, protocol.NewError(protocol.KindForbidden, "org.a.Svc", "", "", "forbidden", nil)
}

func TestFailoverReturnsDirectoryErrors(t *testing.T) {
	consumer := common.MustParse("consumer://10.0.0.9/org.a.Svc?interface=org.a.Svc")
	inv := (&Failover{}).Join(failingDir{directory.NewStatic(consumer, nil)})
	require.ErrorIs(t, inv.Invoke(context.Background(), protocol.NewInvocation("m")).Error(), protocol.ErrForbidden)
}

func TestFailoverDestroy(t *testing.T) {
	ps := providers(nil)
	inv := join("", ps)
	require.True(t, inv.IsAvailable())
	inv.Destroy()
	require.False(t, inv.IsAvailable())
	err := inv.Invoke(context.Background(), protocol.NewInvocation("m")).Error()
	require.Error(t, err)
	require.ErrorContains(t, err, "destroyed")
	require.False(t, errors.Is(err, protocol.ErrBusiness))
}

func TestRegisteredByName(t *testing.T) {
	c, err := Get(FailoverName)
	require.NoError(t, err)
	require.IsType(t, &Failover{}, c)
	require.Contains(t, Names(), FailoverName)
	_, err = Get("nope")
	require.Error(t, err)
}
