package tracing_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/fleetrpc/fleet/config"
	"github.com/fleetrpc/fleet/internal/testutil"
	_ "github.com/fleetrpc/fleet/protocol/dubbo"
	_ "github.com/fleetrpc/fleet/registry/memory"
	"github.com/fleetrpc/fleet/tracing"
)

// echo answers at once, or after delay (a provider too slow for the
// consumer's timeout).
type echo struct {
	name  string
	delay time.Duration
}

func (e echo) Echo(ctx context.Context, s string) (string, error) {
	if e.delay > 0 {
		select {
		case <-time.After(e.delay):
		case <-ctx.Done():
		}
	}
	return e.name + ":" + s, nil
}

func e2eConfig(t *testing.T, port int) *config.Config {
	t.Helper()
	return e2eConfigWith(t, port, "500ms", "")
}

// e2eConfigWith sets the reference's timeout and adds extra to its settings.
func e2eConfigWith(t *testing.T, port int, timeout, extra string) *config.Config {
	t.Helper()
	cfg, err := config.LoadBytes("traced.yml", []byte(fmt.Sprintf(`
dubbo:
  application: {name: traced}
  registries:
    mem: {protocol: memory, address: %s}
  protocols:
    dubbo: {name: dubbo, ip: 127.0.0.1, port: %d}
  provider:
    services:
      Echo: {interface: org.example.Echo}
  consumer:
    references:
      Echo: {interface: org.example.Echo, retries: 1, timeout: %s, loadbalance: roundrobin%s}
`, t.Name(), port, timeout, extra)))
	require.NoError(t, err)
	return cfg
}

type traced struct {
	tr  *tracing.Tracing
	exp *tracetest.InMemoryExporter
	tp  *sdktrace.TracerProvider
}

func newTraced(t *testing.T) traced {
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	return traced{tr: tracing.New(tracing.WithTracerProvider(tp)), exp: exp, tp: tp}
}

func (x traced) runtime(cfg *config.Config) *config.Runtime {
	return config.NewRuntime(cfg, config.WithLocalIP("127.0.0.1"),
		config.WithReferenceFilters(x.tr.CallFilter()),
		config.WithAttemptFilters(x.tr.AttemptFilter()),
		config.WithServiceFilters(x.tr.ServerFilter()))
}

// A trace crosses fleet → fleet over dubbo:// on 127.0.0.1: the consumer's
// call span, its client span per attempt (a timed-out attempt and its
// retry are two children), the providers' server spans under the attempts
// that reached them.
func TestTraceCrossesDubboWithRetries(t *testing.T) {
	ctx := context.Background()
	fast, slow := newTraced(t), newTraced(t)
	pFast := fast.runtime(e2eConfig(t, testutil.FreePort(t)))
	defer pFast.Close()
	require.NoError(t, pFast.Export(ctx, "Echo", echo{name: "fast"}))
	pSlow := slow.runtime(e2eConfig(t, testutil.FreePort(t)))
	defer pSlow.Close()
	require.NoError(t, pSlow.Export(ctx, "Echo", echo{name: "slow", delay: 2 * time.Second}))

	client := newTraced(t)
	consumer := client.runtime(e2eConfig(t, testutil.FreePort(t)))
	defer consumer.Close()
	ref, err := consumer.Refer(ctx, "Echo")
	require.NoError(t, err)

	root, rootSpan := client.tp.Tracer("test").Start(ctx, "root")
	// Round robin over two providers: within two calls one reaches the slow
	// provider first, times out and is retried on the fast one.
	var retried trace.SpanContext
	for i := 0; i < 4 && !retried.IsValid(); i++ {
		callCtx, callRoot := client.tp.Tracer("test").Start(root, fmt.Sprintf("call-%d", i))
		v, err := ref.Call(callCtx, "echo", "hi")
		callRoot.End()
		require.NoError(t, err)
		require.Equal(t, "fast:hi", v)
		for _, s := range client.exp.GetSpans() {
			if s.Name == "org.example.Echo/echo" && s.SpanKind == trace.SpanKindInternal && s.Parent.SpanID() == callRoot.SpanContext().SpanID() {
				if n := len(children(client.exp.GetSpans(), s.SpanContext.SpanID())); n == 2 {
					retried = s.SpanContext
				}
			}
		}
	}
	rootSpan.End()
	require.True(t, retried.IsValid(), "no call was retried: %v", names(client.exp.GetSpans()))

	attempts := children(client.exp.GetSpans(), retried.SpanID())
	require.Len(t, attempts, 2)
	var failed, ok tracetest.SpanStub
	for _, a := range attempts {
		require.Equal(t, trace.SpanKindClient, a.SpanKind)
		require.Equal(t, retried.TraceID(), a.SpanContext.TraceID())
		if a.Status.Code.String() == "Error" {
			failed = a
		} else {
			ok = a
		}
	}
	require.True(t, failed.SpanContext.IsValid(), "one attempt timed out")
	require.True(t, ok.SpanContext.IsValid(), "one attempt succeeded")

	// Each provider's server span is the child of the attempt that reached it.
	require.Eventually(t, func() bool {
		return serverChild(slow.exp.GetSpans(), failed.SpanContext) && serverChild(fast.exp.GetSpans(), ok.SpanContext)
	}, 5*time.Second, 20*time.Millisecond, "slow: %v; fast: %v", names(slow.exp.GetSpans()), names(fast.exp.GetSpans()))
}

func children(spans tracetest.SpanStubs, parent trace.SpanID) []tracetest.SpanStub {
	var out []tracetest.SpanStub
	for _, s := range spans {
		if s.Parent.SpanID() == parent {
			out = append(out, s)
		}
	}
	return out
}

func serverChild(spans tracetest.SpanStubs, attempt trace.SpanContext) bool {
	for _, s := range spans {
		if s.SpanKind == trace.SpanKindServer && s.Parent.SpanID() == attempt.SpanID() &&
			s.SpanContext.TraceID() == attempt.TraceID() && s.Parent.IsRemote() {
			return true
		}
	}
	return false
}

func names(spans tracetest.SpanStubs) []string {
	var out []string
	for _, s := range spans {
		out = append(out, fmt.Sprintf("%s(%s parent=%s)", s.Name, s.SpanKind, s.Parent.SpanID()))
	}
	return out
}

// A hedged call shows its attempts as sibling client spans under the call:
// the one sent to the slow provider, and the hedge that answered first.
func TestHedgeIsASiblingAttemptSpan(t *testing.T) {
	ctx := context.Background()
	fast, slow := newTraced(t), newTraced(t)
	pFast := fast.runtime(e2eConfig(t, testutil.FreePort(t)))
	defer pFast.Close()
	require.NoError(t, pFast.Export(ctx, "Echo", echo{name: "fast"}))
	pSlow := slow.runtime(e2eConfig(t, testutil.FreePort(t)))
	defer pSlow.Close()
	require.NoError(t, pSlow.Export(ctx, "Echo", echo{name: "slow", delay: 2 * time.Second}))

	// The timeout is long: the slow provider would answer in time, so only
	// a hedge makes the fast one answer a call that started on the slow one.
	client := newTraced(t)
	consumer := client.runtime(e2eConfigWith(t, testutil.FreePort(t), "5s", `, params: {hedge.delay: 30ms}`))
	defer consumer.Close()
	ref, err := consumer.Refer(ctx, "Echo")
	require.NoError(t, err)

	var calls []trace.SpanContext
	for i := 0; i < 2; i++ { // round robin: one of two calls starts on the slow provider
		callCtx, callRoot := client.tp.Tracer("test").Start(ctx, fmt.Sprintf("call-%d", i))
		v, err := ref.Call(callCtx, "echo", "hi")
		callRoot.End()
		require.NoError(t, err)
		require.Equal(t, "fast:hi", v, "the hedge answers first")
		calls = append(calls, callRoot.SpanContext())
	}
	// The losing attempt ends when its cancellation reaches it.
	require.Eventually(t, func() bool {
		spans := client.exp.GetSpans()
		for _, c := range calls {
			for _, call := range children(spans, c.SpanID()) {
				attempts := children(spans, call.SpanContext.SpanID())
				if len(attempts) == 2 && attempts[0].SpanKind == trace.SpanKindClient && attempts[1].SpanKind == trace.SpanKindClient {
					return true
				}
			}
		}
		return false
	}, 5*time.Second, 20*time.Millisecond, "no call with two attempt spans: %v", names(client.exp.GetSpans()))
}
