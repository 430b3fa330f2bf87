// Package dubbo implements Dubbo's dubbo:// wire protocol with Hessian2
// serialization, wire-compatible with Apache Dubbo 2.7 and 3.x and with
// dubbo-go: the frame codec (frame.go), the request and response bodies
// (request.go, response.go, with hessian.go, encoder.go, scan.go and
// check.go), parameter descriptors (descriptor.go), status codes
// (status.go), Java exceptions (exception.go), generic invocation
// (generic.go), the connections' coalescing writer (writer.go), the
// consumer side (invoker.go, client.go, conn.go, lead.go) and the provider
// side (export.go, server.go, invocation.go, callctx.go).
//
// A connection is shared by every call to its address. Frames of
// concurrent calls are gathered into one write(2) (a lone call is written
// at once), frames arriving together are read with one read(2), and a call
// allocates little: the common bodies (strings, numbers, string
// attachments) are encoded and decoded by this package, the rest by the
// Hessian library. A lone call costs no goroutine hand-off at either end:
// on the consumer, a caller that finds nobody reading the connection reads
// its own answer (lead.go); on the provider, the reader serves the last
// request of a read itself and hands the reading to another goroutine if
// that call runs longer than 1 ms (checked every 2 ms by one guard per
// server, so a call touches no timer).
//
// Refer neither dials nor makes connection state: an invoker never called
// is 24 bytes (its URL, the values it shares with the invokers of its
// service, and a nil link), so a consumer can refer 100,000 providers and
// pay only for those it calls; the first call makes the clients (or joins
// its address's shared ones) and dials.
//
// A call's Result carries the value as Hessian decodes it: a POJO
// registered with hessian.RegisterPOJO as its Go type, other objects as
// maps, a Java exception as a business *protocol.Error wrapping a
// *JavaException. Java parameter types come from the invocation
// (protocol.RPCInvocation.WithParameterTypes) or are derived from the Go
// arguments (ValueDesc). An exporter also has a URL method giving the
// address it listens on, which tells the port when the URL asked for 0.
//
// Hessian2 values are written and read by github.com/apache/dubbo-go-hessian2;
// the framing, the bodies, the connections and the dispatch are this
// package's own.
//
// The protocol registers itself as "dubbo" (protocol.Get("dubbo")); New
// returns a private one with options (a logger, a dialer).
//
// URL parameters read, with Dubbo's defaults: timeout (1000 ms, per method
// as <method>.timeout), connections (0: the connections shared per address;
// N: N dedicated ones), shareconnections (1), heartbeat (60000 ms),
// heartbeat.timeout (3 × heartbeat), connect.timeout (3000 ms), payload
// (8 MiB; ≤ 0 unlimited), threads (200, provider side), dispatcher
// (provider side: "direct" serves a connection's calls on its reader, one
// at a time, writing the answers of requests that arrived together in one
// write — no hand-off to a worker, so less latency and CPU for short
// methods, but a slow method holds up the calls behind it on that
// connection; anything else — "all", Java's default — runs calls on the
// worker pool, but the last request of a read on the reader, as above, so a
// slow method never holds up the others for long), serialization
// (hessian2 only), sendtimeout (true: the timeout attachment is sent).
package dubbo
