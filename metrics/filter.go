package metrics

import (
	"context"
	"errors"
	"time"

	"github.com/fleetrpc/fleet/protocol"
)

// ConsumerFilter returns the filter recording calls a consumer makes, for
// the invoker of a reference (a cluster invoker): one count per call,
// whatever the retries under it.
func (m *Metrics) ConsumerFilter() protocol.Filter { return filter{m.consumer} }

// ProviderFilter returns the filter recording calls a provider serves, for
// an exported invoker.
func (m *Metrics) ProviderFilter() protocol.Filter { return filter{m.provider} }

type filter struct{ s *side }

// Invoke implements protocol.Filter.
func (f filter) Invoke(ctx context.Context, next protocol.Invoker, inv protocol.Invocation) protocol.Result {
	c := f.s.lookup(next.URL(), protocol.RealMethodName(inv))
	c.requests.Inc()
	c.processing.Inc()
	start := time.Now()
	res := next.Invoke(ctx, inv)
	elapsed := time.Since(start)
	c.processing.Dec()
	c.rt.Observe(float64(elapsed) / float64(time.Millisecond))
	c.record(res.Error())
	return res
}

// record counts the outcome of one call by its kind.
func (c *children) record(err error) {
	if err == nil {
		c.succeed.Inc()
		return
	}
	c.failed.Inc()
	switch kindOf(err) {
	case protocol.KindBusiness:
		c.business.Inc()
	case protocol.KindTimeout:
		c.timeout.Inc()
	case protocol.KindLimit:
		c.limit.Inc()
	case protocol.KindNetwork:
		c.network.Inc()
	case protocol.KindNoProvider, protocol.KindForbidden:
		c.unavailable.Inc()
	case protocol.KindSerialization:
		c.codec.Inc()
	default:
		c.unknown.Inc()
	}
}

// kindOf is protocol.KindOf with a fast path for an unwrapped *Error.
func kindOf(err error) protocol.Kind {
	if e, ok := err.(*protocol.Error); ok {
		return e.Kind
	}
	var e *protocol.Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return protocol.KindUnknown
}
