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

type outgoingKey struct{}

// WithOutgoingAttachments returns ctx carrying attachments for every call
// made with it, after those ctx already carries (Java's RpcContext
// attachments: dubbo.tag, trace ids, the caller's own keys). Cluster
// invokers add them to each call's invocation, where the invocation does
// not set the key itself.
func WithOutgoingAttachments(ctx context.Context, attachments ...Attachment) context.Context {
	prev := OutgoingAttachments(ctx)
	all := make([]Attachment, 0, len(prev)+len(attachments))
	all = append(append(all, prev...), attachments...)
	return context.WithValue(ctx, outgoingKey{}, all)
}

// OutgoingAttachments returns the attachments ctx carries for calls; the
// caller must not modify the slice.
func OutgoingAttachments(ctx context.Context) []Attachment {
	atts, _ := ctx.Value(outgoingKey{}).([]Attachment)
	return atts
}

// AddAttachmentsIfAbsent returns inv with those of attachments whose key
// inv does not have, in order (a later duplicate key wins over an earlier
// one); inv itself when none is added. inv is not changed.
func AddAttachmentsIfAbsent(inv Invocation, attachments []Attachment) Invocation {
	var add []Attachment
	for i, a := range attachments {
		if _, ok := inv.Attachment(a.Key); ok {
			continue
		}
		later := false
		for _, b := range attachments[i+1:] {
			if b.Key == a.Key {
				later = true
				break
			}
		}
		if !later {
			add = append(add, a)
		}
	}
	if len(add) == 0 {
		return inv
	}
	own := inv.Attachments()
	all := make([]Attachment, 0, len(own)+len(add))
	all = append(append(all, own...), add...)
	return &RPCInvocation{method: inv.MethodName(), types: inv.ParameterTypes(), args: inv.Arguments(), attachments: all}
}
