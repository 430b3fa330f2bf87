package metrics

import (
	"context"
	"testing"

	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/protocol"
)

// BenchmarkFilter is the cost metrics add to a call: the filter around an
// invoker that answers at once.
func BenchmarkFilter(b *testing.B) {
	u := common.NewURL("consumer", "127.0.0.1", 0, "org.example.Greeter", map[string]string{common.ApplicationKey: "bench"})
	res := protocol.NewResult("ok", nil)
	bare := invokerFunc{u, func(context.Context, protocol.Invocation) protocol.Result { return res }}
	m, err := New()
	if err != nil {
		b.Fatal(err)
	}
	call := protocol.NewInvocation("sayHello", "world")
	for _, bc := range []struct {
		name string
		inv  protocol.Invoker
	}{
		{"off", bare},
		{"on", protocol.WithFilters(bare, m.ConsumerFilter())},
	} {
		b.Run(bc.name, func(b *testing.B) {
			ctx := context.Background()
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					bc.inv.Invoke(ctx, call)
				}
			})
		})
	}
}
