package config

import (
	"context"
	"fmt"
	"testing"

	"github.com/fleetrpc/fleet/internal/testutil"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
)

// dubbo.tracing.enable traces references and exports through the global
// TracerProvider: over dubbo://, the server span is the child of the
// client span, itself the child of the call span.
func TestTracingFromYAML(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	prev := otel.GetTracerProvider()
	otel.SetTracerProvider(tp)
	t.Cleanup(func() {
		otel.SetTracerProvider(prev)
		_ = tp.Shutdown(context.Background())
	})
	cfg, err := LoadBytes("traced.yml", []byte(fmt.Sprintf(`
dubbo:
  application: {name: traced}
  tracing: {enable: true}
  registries:
    mem: {protocol: memory, address: %s}
  protocols:
    dubbo: {name: dubbo, ip: 127.0.0.1, port: %d}
  provider:
    services:
      Obs: {interface: org.example.Obs}
  consumer:
    references:
      Obs: {interface: org.example.Obs}
`, t.Name(), testutil.FreePort(t))))
	require.NoError(t, err)
	ctx := context.Background()
	provider := NewRuntime(cfg, WithLocalIP("127.0.0.1"))
	defer provider.Close()
	require.NoError(t, provider.Export(ctx, "Obs", obsService{}))
	consumer := NewRuntime(cfg, WithLocalIP("127.0.0.1"))
	defer consumer.Close()
	ref, err := consumer.Refer(ctx, "Obs")
	require.NoError(t, err)
	_, err = ref.Call(ctx, "sayHello", "x")
	require.NoError(t, err)

	byKind := map[trace.SpanKind]tracetest.SpanStub{}
	for _, s := range exp.GetSpans() {
		require.Equal(t, "org.example.Obs/sayHello", s.Name)
		byKind[s.SpanKind] = s
	}
	call, client, server := byKind[trace.SpanKindInternal], byKind[trace.SpanKindClient], byKind[trace.SpanKindServer]
	require.True(t, call.SpanContext.IsValid() && client.SpanContext.IsValid() && server.SpanContext.IsValid(), "spans: %v", exp.GetSpans())
	require.Equal(t, call.SpanContext.SpanID(), client.Parent.SpanID())
	require.Equal(t, client.SpanContext.SpanID(), server.Parent.SpanID())
	require.True(t, server.Parent.IsRemote())
	require.Equal(t, call.SpanContext.TraceID(), server.SpanContext.TraceID())
}
