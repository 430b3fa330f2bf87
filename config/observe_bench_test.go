package config

import (
	"context"
	"fmt"
	"github.com/fleetrpc/fleet/internal/testutil"
	"testing"
)

// BenchmarkDubboCallMetrics is one call over dubbo:// on 127.0.0.1
// through a referred reference (registry, directory, failover, the wire
// both ways), with dubbo.metrics off and on: metrics add no allocation.
func BenchmarkDubboCallMetrics(b *testing.B) {
	for _, on := range []bool{false, true} {
		b.Run(fmt.Sprintf("metrics=%v", on), func(b *testing.B) {
			cfg, err := LoadBytes("bench.yml", []byte(fmt.Sprintf(`
dubbo:
  application: {name: bench}
  metrics: {enable: %v, host: 127.0.0.1, port: "0"}
  registries:
    mem: {protocol: memory, address: bench-%v}
  protocols:
    dubbo: {name: dubbo, ip: 127.0.0.1, port: %d}
  provider:
    services:
      Obs: {interface: org.example.Obs}
  consumer:
    references:
      Obs: {interface: org.example.Obs}
`, on, on, testutil.FreePort(b))))
			if err != nil {
				b.Fatal(err)
			}
			ctx := context.Background()
			provider := NewRuntime(cfg, WithLocalIP("127.0.0.1"))
			defer provider.Close()
			if err := provider.Export(ctx, "Obs", obsService{}); err != nil {
				b.Fatal(err)
			}
			consumer := NewRuntime(cfg, WithLocalIP("127.0.0.1"))
			defer consumer.Close()
			ref, err := consumer.Refer(ctx, "Obs")
			if err != nil {
				b.Fatal(err)
			}
			for i := 0; i < 100; i++ {
				if _, err := ref.Call(ctx, "sayHello", "x"); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				if _, err := ref.Call(ctx, "sayHello", "x"); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
