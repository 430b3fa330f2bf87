package protocol

import (
	"context"

	"github.com/fleetrpc/fleet/common"
)

// Invoker calls one service: one provider (a protocol's invoker), or many
// behind a cluster strategy (a cluster invoker).
//
// Invoke is safe for concurrent use and never panics. Its failures come back
// in the Result, never as a panic: an RPC failure as an *Error of a
// retryable kind, a failure of the provider's method as KindBusiness.
// Invoke honours ctx's deadline and cancellation; the URL's timeout may
// narrow the deadline but never widens it.
type Invoker interface {
	// URL describes what is invoked: the provider URL (after merging and
	// configurators) for a provider invoker, the consumer URL for a cluster
	// invoker. It never changes for the life of the invoker.
	URL() *common.URL
	// Invoke performs one call.
	Invoke(ctx context.Context, inv Invocation) Result
	// IsAvailable reports whether a call now has a chance to succeed (a
	// connection is up, the exporter is there). It must be cheap: load
	// balancers call it on the call path.
	IsAvailable() bool
	// Destroy releases what the invoker holds. It is idempotent; after it,
	// IsAvailable is false and Invoke fails with a network error.
	Destroy()
}

// Exporter is a service exported by a Protocol.
type Exporter interface {
	// Invoker is the exported invoker.
	Invoker() Invoker
	// Unexport withdraws the service: later calls to it fail. Idempotent.
	Unexport()
}

// Protocol refers providers and exports services over one transport
// (dubbo://, injvm://).
//
// A Protocol value is shared: several references refer through it, so it
// may share connections between invokers of the same address.
type Protocol interface {
	// Refer returns an invoker for the provider at url. It must not block
	// on the network (connections are made lazily or in the background);
	// it fails only for a URL it cannot use.
	Refer(url *common.URL) (Invoker, error)
	// Export makes invoker reachable under its URL (the service key and
	// address it names).
	Export(invoker Invoker) (Exporter, error)
	// Destroy unexports every service, destroys every invoker this protocol
	// returned and releases its resources. Idempotent.
	Destroy()
}
