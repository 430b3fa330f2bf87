// Package tracing traces Dubbo calls with OpenTelemetry: a span per call
// on the consumer, a client span per attempt under it (so retries and
// hedges show as separate children), and a server span per call served.
//
// The span context travels in the call's attachments under the keys the
// propagator writes, as Java Dubbo 3's OpenTelemetry integration carries
// it (its observation filters set each propagation header as an
// attachment of the invocation): with W3C Trace Context, "traceparent"
// and "tracestate" (and "baggage" with the Baggage propagator). A trace so
// crosses Java and fleet consumers and providers both ways.
//
// Spans are named "<interface>/<method>" as Java Dubbo names them and
// carry rpc.system=apache_dubbo, rpc.service, rpc.method, and for client
// spans net.peer.name and net.peer.port. A failed call sets the span's
// status to Error with the error recorded.
//
// With package config:
//
//	tr := tracing.New(tracing.WithTracerProvider(tp))
//	rt := config.NewRuntime(cfg,
//		config.WithReferenceFilters(tr.CallFilter()),
//		config.WithAttemptFilters(tr.AttemptFilter()),
//		config.WithServiceFilters(tr.ServerFilter()))
//
// The package imports only protocol and common from fleet: no core package
// imports it.
package tracing
