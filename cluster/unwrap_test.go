package cluster

import (
	"context"
	"testing"

	"github.com/fleetrpc/fleet/cluster/loadbalance"
	"github.com/fleetrpc/fleet/directory"
	"github.com/fleetrpc/fleet/protocol"
	"github.com/stretchr/testify/require"
)

// opaque wraps an invoker without saying so: Outliers cannot see through.
type opaque struct{ protocol.Invoker }

// ownWrapper is a wrapper of a program's own that says what it wraps.
type ownWrapper struct{ protocol.Invoker }

func (w ownWrapper) Unwrap() protocol.Invoker { return w.Invoker }

func TestOutliersSeeThroughWrappers(t *testing.T) {
	ps := providers(always(protocol.KindNetwork, 100), nil)
	inner := joinClocked(&Failover{LoadBalance: inOrder{}, Stats: loadbalance.NewStats(), Logger: discard()},
		"&outlier.consecutive=2&outlier.ejection=10s", ps, newTestClock())
	pass := protocol.FilterFunc(func(ctx context.Context, next protocol.Invoker, inv protocol.Invocation) protocol.Result {
		return next.Invoke(ctx, inv)
	})
	mock := &Mock{Cluster: &Failover{LoadBalance: inOrder{}, Stats: loadbalance.NewStats(), Logger: discard()}}
	tests := []struct {
		name   string
		wrap   protocol.Invoker
		ejects bool
	}{
		{"bare", inner, true},
		{"filters", protocol.WithFilters(inner, pass, pass), true},
		{"own wrapper over filters", ownWrapper{protocol.WithFilters(inner, pass)}, true},
		{"opaque wrapper", opaque{inner}, false},
	}
	for range 4 {
		require.NoError(t, invoke(t, inner, "m").Error())
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hs := Outliers(tt.wrap)
			if !tt.ejects {
				require.Nil(t, hs)
				require.Nil(t, DirectoryOf(tt.wrap))
				return
			}
			require.Len(t, hs, 2)
			require.Equal(t, "10.0.0.1:20880", hs[0].Address)
			require.Equal(t, "ejected", hs[0].State)
			require.Equal(t, "serving", hs[1].State)
			require.NotNil(t, DirectoryOf(tt.wrap))
			require.Equal(t, inner.URL().String(), DirectoryOf(tt.wrap).URL().String())
		})
	}
	t.Run("mock over filters", func(t *testing.T) {
		dir := directory.NewStatic(consumer(""), asInvokers(providers(nil)))
		inv := protocol.WithFilters(mock.Join(dir), pass)
		require.Same(t, dir, DirectoryOf(inv))
		require.Nil(t, Outliers(inv), "no call made")
	})
	require.Nil(t, DirectoryOf(nil))
}
