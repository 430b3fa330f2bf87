package cluster

import (
	"github.com/fleetrpc/fleet/directory"
	"github.com/fleetrpc/fleet/protocol"
)

// Unwrapper is implemented by an invoker that wraps another (filters, the
// mock wrapper): Unwrap returns the invoker it calls. Outliers and
// DirectoryOf look through such wrappers to the cluster invoker under them.
type Unwrapper interface {
	Unwrap() protocol.Invoker
}

// maxUnwrap bounds the wrappers Outliers and DirectoryOf look through.
const maxUnwrap = 64

// baseUnder returns the base of the first of this package's strategies
// found by unwrapping invoker; nil when there is none.
func baseUnder(invoker protocol.Invoker) *base {
	for range maxUnwrap {
		if invoker == nil {
			return nil
		}
		if b, ok := invoker.(interface{ baseOf() *base }); ok {
			return b.baseOf()
		}
		u, ok := invoker.(Unwrapper)
		if !ok {
			return nil
		}
		invoker = u.Unwrap()
	}
	return nil
}

// DirectoryOf returns the directory a cluster invoker of this package was
// joined with, looking through wrappers (Unwrapper); nil when invoker is
// no such invoker. It is for tools and admin pages, which read the
// directory's state; they must not destroy it.
func DirectoryOf(invoker protocol.Invoker) directory.Directory {
	if b := baseUnder(invoker); b != nil {
		return b.dir
	}
	return nil
}

// Unwrap implements Unwrapper: the strategy the mock wraps.
func (m *mockInvoker) Unwrap() protocol.Invoker { return m.inner }
