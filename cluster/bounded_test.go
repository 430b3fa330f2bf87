package cluster

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/fleetrpc/fleet/cluster/loadbalance"
	"github.com/fleetrpc/fleet/directory"
	"github.com/fleetrpc/fleet/protocol"
)

// TestNonPositiveTimeoutIsTheDefault: strategies that bound a call with the
// URL's timeout read a timeout <= 0 as the default (Java's positive getter),
// so an override with timeout=-1 does not fail every call.
func TestNonPositiveTimeoutIsTheDefault(t *testing.T) {
	for _, params := range []string{"&timeout=-1", "&timeout=0", "&m.timeout=-1&forks=-1"} {
		t.Run("forking"+params, func(t *testing.T) {
			ps := providers(nil, nil)
			for _, p := range ps {
				p.delay.Store(int64(time.Millisecond)) // a call that ends with its context fails
			}
			res := invoke(t, joinWith(&Forking{Stats: loadbalance.NewStats()}, params, ps), "m")
			require.NoError(t, res.Error())
		})
		t.Run("mergeable"+params, func(t *testing.T) {
			var list []protocol.Invoker
			for _, g := range groups([]string{"a"}, []string{"b"}) {
				list = append(list, slowGroup{g})
			}
			m := (&Mergeable{Stats: loadbalance.NewStats(), Logger: discard()}).Join(directory.NewStatic(consumer("&merger=true"+params), list))
			res := invoke(t, m, "m")
			require.NoError(t, res.Error())
			require.Equal(t, []string{"a", "b"}, res.Value())
		})
	}
}

// TestNegativeRetriesIsOneAttempt: failover reads retries < 0 as 0, as Java
// makes at least one attempt and no retry.
func TestNegativeRetriesIsOneAttempt(t *testing.T) {
	ps := providers([]protocol.Kind{protocol.KindNetwork}, nil, nil)
	require.Error(t, invoke(t, join("&retries=-5", ps), "m").Error())
	require.Equal(t, []int32{1, 0, 0}, calls(ps))
}

// slowGroup answers after a millisecond, or fails when ctx ends first.
type slowGroup struct{ *group }

func (s slowGroup) Invoke(ctx context.Context, inv protocol.Invocation) protocol.Result {
	select {
	case <-ctx.Done():
		return protocol.ErrorResult(ctx.Err())
	case <-time.After(time.Millisecond):
	}
	return s.group.Invoke(ctx, inv)
}
