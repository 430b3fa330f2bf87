package protocol

import (
	"context"

	"github.com/fleetrpc/fleet/common"
)

// Filter wraps the calls to an Invoker: it may look at or change what goes
// in (by building a new Invocation) and what comes out, or answer itself
// without calling next. Filters are shared by concurrent calls.
type Filter interface {
	Invoke(ctx context.Context, next Invoker, inv Invocation) Result
}

// FilterFunc adapts a function to a Filter.
type FilterFunc func(ctx context.Context, next Invoker, inv Invocation) Result

// Invoke implements Filter.
func (f FilterFunc) Invoke(ctx context.Context, next Invoker, inv Invocation) Result {
	return f(ctx, next, inv)
}

// WithFilters returns an invoker that runs filters around next: the first
// filter sees the call first. With no filters it returns next itself.
func WithFilters(next Invoker, filters ...Filter) Invoker {
	for i := len(filters) - 1; i >= 0; i-- {
		next = &filtered{filter: filters[i], next: next}
	}
	return next
}

type filtered struct {
	filter Filter
	next   Invoker
}

func (f *filtered) URL() *common.URL { return f.next.URL() }

func (f *filtered) Invoke(ctx context.Context, inv Invocation) Result {
	return f.filter.Invoke(ctx, f.next, inv)
}

func (f *filtered) IsAvailable() bool { return f.next.IsAvailable() }

func (f *filtered) Destroy() { f.next.Destroy() }

// Unwrap returns the invoker the filters call (tools look through filters
// with it: cluster.Outliers, cluster.DirectoryOf).
func (f *filtered) Unwrap() Invoker { return f.next }
