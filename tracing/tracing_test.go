package tracing_test

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/protocol"
	"github.com/fleetrpc/fleet/tracing"
)

func newTracing(t *testing.T) (*tracing.Tracing, *tracetest.InMemoryExporter) {
	t.Helper()
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	return tracing.New(tracing.WithTracerProvider(tp)), exp
}

type invokerFunc struct {
	url *common.URL
	fn  func(context.Context, protocol.Invocation) protocol.Result
}

func (f invokerFunc) URL() *common.URL  { return f.url }
func (f invokerFunc) IsAvailable() bool { return true }
func (f invokerFunc) Destroy()          {}
func (f invokerFunc) Invoke(ctx context.Context, inv protocol.Invocation) protocol.Result {
	return f.fn(ctx, inv)
}

var providerURL = common.NewURL("dubbo", "10.1.2.3", 20880, "org.example.Greeter",
	map[string]string{common.InterfaceKey: "org.example.Greeter"})

// The attempt writes W3C traceparent and tracestate as attachments under
// exactly those keys (what Java Dubbo 3's observation filters read and
// write: the propagator's header names set as invocation attachments).
func TestAttemptCarriesW3CAttachments(t *testing.T) {
	tr, exp := newTracing(t)
	var sent protocol.Invocation
	inv := protocol.WithFilters(invokerFunc{providerURL, func(_ context.Context, inv protocol.Invocation) protocol.Result {
		sent = inv
		return protocol.NewResult("ok", nil)
	}}, tr.AttemptFilter())

	state, err := trace.ParseTraceState("vendor=abc")
	require.NoError(t, err)
	parent := trace.NewSpanContext(trace.SpanContextConfig{
		TraceID: trace.TraceID{1, 2, 3}, SpanID: trace.SpanID{4, 5}, TraceFlags: trace.FlagsSampled, TraceState: state, Remote: true,
	})
	ctx := trace.ContextWithRemoteSpanContext(context.Background(), parent)
	call := protocol.NewInvocation("sayHello", "world").WithAttachment("traceparent", "stale")
	inv.Invoke(ctx, call)

	spans := exp.GetSpans()
	require.Len(t, spans, 1)
	span := spans[0]
	require.Equal(t, "org.example.Greeter/sayHello", span.Name)
	require.Equal(t, trace.SpanKindClient, span.SpanKind)
	require.Equal(t, parent.SpanID(), span.Parent.SpanID())

	require.Equal(t, "00-"+parent.TraceID().String()+"-"+span.SpanContext.SpanID().String()+"-01",
		protocol.StringAttachment(sent, "traceparent"), "the attempt's span context replaces any other")
	require.Equal(t, "vendor=abc", protocol.StringAttachment(sent, "tracestate"))
	v, _ := call.Attachment("traceparent")
	require.Equal(t, "stale", v, "the caller's invocation is not changed")

	attrs := map[string]any{}
	for _, a := range span.Attributes {
		attrs[string(a.Key)] = a.Value.AsInterface()
	}
	require.Equal(t, "apache_dubbo", attrs["rpc.system"])
	require.Equal(t, "org.example.Greeter", attrs["rpc.service"])
	require.Equal(t, "sayHello", attrs["rpc.method"])
	require.Equal(t, "10.1.2.3", attrs["net.peer.name"])
	require.EqualValues(t, 20880, attrs["net.peer.port"])
}

// A call from a Java consumer arrives with traceparent in its attachments:
// the server span continues that trace.
func TestServerContinuesJavaTrace(t *testing.T) {
	tr, exp := newTracing(t)
	var inMethod trace.SpanContext
	inv := protocol.WithFilters(invokerFunc{providerURL, func(ctx context.Context, _ protocol.Invocation) protocol.Result {
		inMethod = trace.SpanContextFromContext(ctx)
		return protocol.ErrorResult(protocol.NewError(protocol.KindBusiness, "org.example.Greeter", "sayHello", "", "boom", errors.New("boom")))
	}}, tr.ServerFilter())
	call := protocol.NewInvocation("sayHello", "x").
		WithAttachment("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01").
		WithAttachment("tracestate", "congo=t61rcWkgMzE")
	inv.Invoke(context.Background(), call)

	spans := exp.GetSpans()
	require.Len(t, spans, 1)
	s := spans[0]
	require.Equal(t, trace.SpanKindServer, s.SpanKind)
	require.Equal(t, "0af7651916cd43dd8448eb211c80319c", s.SpanContext.TraceID().String())
	require.Equal(t, "b7ad6b7169203331", s.Parent.SpanID().String())
	require.True(t, s.Parent.IsRemote())
	require.Equal(t, "congo=t61rcWkgMzE", s.SpanContext.TraceState().String())
	require.Equal(t, s.SpanContext.SpanID(), inMethod.SpanID(), "the method runs in the server span")
	require.Equal(t, "Error", s.Status.Code.String())
}

// Without a propagator's keys in the attachments the server starts a new
// trace, and a custom propagator decides the keys.
func TestServerWithoutTraceStartsOne(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	defer tp.Shutdown(context.Background())
	tr := tracing.New(tracing.WithTracerProvider(tp), tracing.WithPropagator(propagation.TraceContext{}))
	inv := protocol.WithFilters(invokerFunc{providerURL, func(context.Context, protocol.Invocation) protocol.Result {
		return protocol.NewResult(nil, nil)
	}}, tr.ServerFilter())
	inv.Invoke(context.Background(), protocol.NewInvocation("sayHello").WithAttachment("traceparent", "garbage"))
	spans := exp.GetSpans()
	require.Len(t, spans, 1)
	require.False(t, spans[0].Parent.IsValid(), "a malformed traceparent is ignored")
	require.True(t, spans[0].SpanContext.IsValid())
}
