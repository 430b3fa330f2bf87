package tracing

import (
	"context"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/protocol"
)

// ScopeName is the instrumentation scope of fleet's tracer.
const ScopeName = "github.com/fleetrpc/fleet/tracing"

// RPCSystem is the rpc.system attribute value Java Dubbo's observation
// conventions use.
const RPCSystem = "apache_dubbo"

// Attribute keys, OpenTelemetry's RPC semantic conventions.
const (
	AttrRPCSystem  = attribute.Key("rpc.system")
	AttrRPCService = attribute.Key("rpc.service")
	AttrRPCMethod  = attribute.Key("rpc.method")
	AttrPeerName   = attribute.Key("net.peer.name")
	AttrPeerPort   = attribute.Key("net.peer.port")
	// AttrErrorKind is the fleet error kind of a failed call
	// ("timeout", "network error", …).
	AttrErrorKind = attribute.Key("rpc.dubbo.error_kind")
)

// Tracing makes the filters. It is safe for concurrent use.
type Tracing struct {
	tracer     trace.Tracer                  // immutable
	propagator propagation.TextMapPropagator // immutable
}

// Option configures New.
type Option func(*options)

type options struct {
	tp         trace.TracerProvider
	propagator propagation.TextMapPropagator
}

// WithTracerProvider sets where spans go (default otel.GetTracerProvider()).
func WithTracerProvider(tp trace.TracerProvider) Option { return func(o *options) { o.tp = tp } }

// WithPropagator sets the propagator writing and reading the attachments
// (default W3C Trace Context and Baggage).
func WithPropagator(p propagation.TextMapPropagator) Option {
	return func(o *options) { o.propagator = p }
}

// New returns the tracing of a program.
func New(opts ...Option) *Tracing {
	o := options{}
	for _, opt := range opts {
		opt(&o)
	}
	if o.tp == nil {
		o.tp = otel.GetTracerProvider()
	}
	if o.propagator == nil {
		o.propagator = propagation.NewCompositeTextMapPropagator(propagation.TraceContext{}, propagation.Baggage{})
	}
	return &Tracing{tracer: o.tp.Tracer(ScopeName), propagator: o.propagator}
}

// SpanName is the name of a call's spans: "<interface>/<method>".
func SpanName(u *common.URL, inv protocol.Invocation) string {
	return serviceName(u) + "/" + protocol.RealMethodName(inv)
}

func serviceName(u *common.URL) string {
	if u == nil {
		return ""
	}
	return u.ParamOr(common.InterfaceKey, u.Path())
}

// callSpan is a call's span name (SpanName) and RPC attributes, reading
// its service and method once.
func callSpan(u *common.URL, inv protocol.Invocation) (string, []attribute.KeyValue) {
	service, method := serviceName(u), protocol.RealMethodName(inv)
	return service + "/" + method, []attribute.KeyValue{
		AttrRPCSystem.String(RPCSystem),
		AttrRPCService.String(service),
		AttrRPCMethod.String(method),
	}
}

// end records the call's outcome on span and ends it.
func end(span trace.Span, res protocol.Result) {
	if err := res.Error(); err != nil {
		span.RecordError(err)
		span.SetStatus(codes.Error, err.Error())
		span.SetAttributes(AttrErrorKind.String(protocol.KindOf(err).String()))
	}
	span.End()
}

// CallFilter returns the filter of a reference's invoker (a cluster
// invoker): one span per call, the parent of its attempts' client spans.
// It also puts the call span's context in the call's outgoing
// attachments, so a call without AttemptFilter still carries the trace.
func (t *Tracing) CallFilter() protocol.Filter {
	return protocol.FilterFunc(func(ctx context.Context, next protocol.Invoker, inv protocol.Invocation) protocol.Result {
		name, attrs := callSpan(next.URL(), inv)
		ctx, span := t.tracer.Start(ctx, name,
			trace.WithSpanKind(trace.SpanKindInternal), trace.WithAttributes(attrs...))
		carrier := attachmentCarrier{}
		t.propagator.Inject(ctx, &carrier)
		if len(carrier.atts) > 0 {
			ctx = protocol.WithOutgoingAttachments(ctx, carrier.atts...)
		}
		res := next.Invoke(ctx, inv)
		end(span, res)
		return res
	})
}

// AttemptFilter returns the filter of the provider invokers a reference
// refers: a client span per attempt, its context written into the
// attempt's attachments.
func (t *Tracing) AttemptFilter() protocol.Filter {
	return protocol.FilterFunc(func(ctx context.Context, next protocol.Invoker, inv protocol.Invocation) protocol.Result {
		u := next.URL()
		name, attrs := callSpan(u, inv)
		if u != nil && u.Host() != "" {
			attrs = append(attrs, AttrPeerName.String(u.Host()), AttrPeerPort.Int(u.Port()))
		}
		ctx, span := t.tracer.Start(ctx, name,
			trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(attrs...))
		carrier := attachmentCarrier{}
		t.propagator.Inject(ctx, &carrier)
		res := next.Invoke(ctx, withAttachments(inv, carrier.atts))
		end(span, res)
		return res
	})
}

// ServerFilter returns the filter of an exported service: a server span
// per call, child of the span context the call's attachments carry. The
// service's method gets the span in its context.
func (t *Tracing) ServerFilter() protocol.Filter {
	return protocol.FilterFunc(func(ctx context.Context, next protocol.Invoker, inv protocol.Invocation) protocol.Result {
		ctx = t.propagator.Extract(ctx, invocationCarrier{inv})
		name, attrs := callSpan(next.URL(), inv)
		ctx, span := t.tracer.Start(ctx, name,
			trace.WithSpanKind(trace.SpanKindServer), trace.WithAttributes(attrs...))
		res := next.Invoke(ctx, inv)
		end(span, res)
		return res
	})
}

// attachmentCarrier collects what a propagator injects, as attachments.
type attachmentCarrier struct{ atts []protocol.Attachment }

func (c *attachmentCarrier) Get(key string) string {
	for _, a := range c.atts {
		if a.Key == key {
			s, _ := a.Value.(string)
			return s
		}
	}
	return ""
}

func (c *attachmentCarrier) Set(key, value string) {
	for i := range c.atts {
		if c.atts[i].Key == key {
			c.atts[i].Value = value
			return
		}
	}
	c.atts = append(c.atts, protocol.Attachment{Key: key, Value: value})
}

func (c *attachmentCarrier) Keys() []string {
	keys := make([]string, len(c.atts))
	for i, a := range c.atts {
		keys[i] = a.Key
	}
	return keys
}

// invocationCarrier reads a served call's attachments.
type invocationCarrier struct{ inv protocol.Invocation }

func (c invocationCarrier) Get(key string) string { return protocol.StringAttachment(c.inv, key) }

func (c invocationCarrier) Set(string, string) {} // read-only: the invocation is not changed

func (c invocationCarrier) Keys() []string {
	atts := c.inv.Attachments()
	keys := make([]string, len(atts))
	for i, a := range atts {
		keys[i] = a.Key
	}
	return keys
}

// withAttachments returns inv with atts set, replacing values of the same
// keys; inv itself is not changed.
func withAttachments(inv protocol.Invocation, atts []protocol.Attachment) protocol.Invocation {
	if len(atts) == 0 {
		return inv
	}
	r, ok := inv.(*protocol.RPCInvocation)
	if !ok {
		r = protocol.NewInvocation(inv.MethodName(), inv.Arguments()...).WithParameterTypes(inv.ParameterTypes()...)
		for _, a := range inv.Attachments() {
			r = r.WithAttachment(a.Key, a.Value)
		}
	}
	for _, a := range atts {
		r = r.WithAttachment(a.Key, a.Value)
	}
	return r
}
