package protocol

import "context"

type invocationKey struct{}

// NewContext returns ctx carrying inv, so a provider's method can read the
// attachments of the call that reached it.
func NewContext(ctx context.Context, inv Invocation) context.Context {
	return context.WithValue(ctx, invocationKey{}, inv)
}

// FromContext returns the invocation a provider is serving, if any.
func FromContext(ctx context.Context) (Invocation, bool) {
	inv, ok := ctx.Value(invocationKey{}).(Invocation)
	return inv, ok
}
