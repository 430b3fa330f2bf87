package directory

import (
	"context"

	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/protocol"
)

// Directory is the list of invokers of one service, as a cluster strategy
// sees it.
//
// List is on the call path: it is safe for concurrent use, does not block
// on updates, and should not allocate.
type Directory interface {
	// URL is the consumer URL the directory serves (interface, group,
	// version and the consumer's parameters).
	URL() *common.URL
	// List returns the invokers that may serve inv, routers applied. The
	// slice belongs to the directory and must not be modified. It may be
	// empty; it fails only when the directory is destroyed or the service
	// is forbidden (protocol.KindForbidden).
	List(ctx context.Context, inv protocol.Invocation) ([]protocol.Invoker, error)
	// IsAvailable reports whether some invoker is available.
	IsAvailable() bool
	// Destroy destroys every invoker of the directory and stops its
	// updates. Idempotent; afterwards List fails.
	Destroy()
}
