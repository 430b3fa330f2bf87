package service

import (
	"context"
	"testing"

	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/protocol"
)

type greeter struct{ prefix string }

func (g *greeter) Greet(name string) (string, error) { return g.prefix + name, nil }

// BenchmarkInvoke is one provider-side call through reflection: a method
// without a context (Greet on a pointer receiver) and one with
// (SayHello, whose context carries the invocation).
func BenchmarkInvoke(b *testing.B) {
	u := common.MustParse("injvm://127.0.0.1:20880/org.Users?interface=org.Users")
	cases := []struct {
		name   string
		impl   any
		method string
	}{
		{"plain", &greeter{prefix: "Hello "}, "greet"},
		{"ctx", users{}, "sayHello"},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			s, err := New(u, c.impl)
			if err != nil {
				b.Fatal(err)
			}
			inv := protocol.NewInvocation(c.method, "world")
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				if res := s.Invoke(ctx, inv); res.Error() != nil {
					b.Fatal(res.Error())
				}
			}
		})
	}
}
