package protocol

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/fleetrpc/fleet/common"
	rpc "github.com/fleetrpc/fleet/protocol"
	"github.com/fleetrpc/fleet/registry/migration"
)

// BenchmarkMigratingInvoke is the cost of a call through a reference that
// uses both discovery levels against one that uses the interface level
// only, over the same in-process provider (the route is one atomic load
// and two atomic adds; proportion below 100 adds a random draw).
func BenchmarkMigratingInvoke(b *testing.B) {
	for _, bc := range []struct {
		name   string
		params map[string]string
	}{
		{"plain", map[string]string{RegistryTypeKey: RegistryTypeInterface}},
		{"force-interface", map[string]string{migration.StepKey: "FORCE_INTERFACE"}},
		{"application-first", nil},
		{"application-first-proportion-50", map[string]string{migration.PromotionKey: "50"}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			l := newLevels(b)
			l.export(b, "iface", 1, false)
			l.export(b, "app", 2, true)
			p := New(WithProtocol("injvm", l.jvm), WithLogger(quiet), WithRegistryOpener(l.open), WithoutConfigCenter())
			defer p.Destroy()
			ref, err := l.refer(p, bc.params)
			require.NoError(b, err)
			defer ref.Destroy()
			inv := rpc.NewInvocation("sayHello", "bob")
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				if err := ref.Invoke(ctx, inv).Error(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestMigratingInvokeAllocatesNothingMore: the migrating route adds no
// allocation to a call.
func TestMigratingInvokeAllocatesNothingMore(t *testing.T) {
	l := newLevels(t)
	l.export(t, "iface", 1, false)
	l.export(t, "app", 2, true)
	p := l.consumer(t)
	allocs := func(params map[string]string) float64 {
		ref, err := l.refer(p, params)
		require.NoError(t, err)
		defer ref.Destroy()
		inv := rpc.NewInvocation("sayHello", "bob")
		return testing.AllocsPerRun(200, func() { _ = ref.Invoke(ctx, inv) })
	}
	plain := allocs(map[string]string{RegistryTypeKey: RegistryTypeInterface})
	require.Equal(t, plain, allocs(map[string]string{migration.StepKey: "FORCE_INTERFACE"}))
	require.Equal(t, plain, allocs(nil))
}

// stubInvoker answers every call with one preallocated result.
type stubInvoker struct{ res rpc.Result }

func (s stubInvoker) URL() *common.URL                                  { return nil }
func (s stubInvoker) Invoke(context.Context, rpc.Invocation) rpc.Result { return s.res }
func (s stubInvoker) IsAvailable() bool                                 { return true }
func (s stubInvoker) Destroy()                                          {}

// BenchmarkMigrationRoute is what a migrating reference adds to a call:
// the route's load, the side's in-flight count and, below proportion 100,
// a random draw; over a side that answers at once.
func BenchmarkMigrationRoute(b *testing.B) {
	side := func() *migrationSide {
		return &migrationSide{side: &side{invoker: stubInvoker{res: rpc.NewResult("ok", nil)}}}
	}
	for _, bc := range []struct {
		name       string
		proportion int
	}{{"proportion-100", 100}, {"proportion-50", 50}} {
		b.Run(bc.name, func(b *testing.B) {
			m := &migrationInvoker{consumer: common.MustParse("consumer://127.0.0.1/a.B?interface=a.B")}
			m.route.Store(&route{preferred: side(), other: side(), proportion: bc.proportion})
			inv := rpc.NewInvocation("sayHello", "bob")
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if m.Invoke(ctx, inv).Error() != nil {
						b.Fatal("failed")
					}
				}
			})
		})
	}
}
