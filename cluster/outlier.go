package cluster

import (
	"context"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/fleetrpc/fleet/protocol"
)

// Outlier ejection (passive health checking, as Envoy's outlier detection
// and gRPC's): a cluster invoker watches the outcome of every attempt per
// provider and, when the outlier params of the called method say so,
// ejects a provider — leaves it out of the candidates of every call — for
// a time that grows with each ejection in a row (n × outlier.ejection,
// capped at outlier.max.ejection). Only RPC failures count: network
// errors, timeouts, unknown and serialization failures; a business error
// is an answer, and forbidden, no-provider and limit failures are no
// fault of the provider's health. An attempt cancelled by its caller (a
// hedge's loser) counts as nothing.
//
// At most outlier.max.percent of the providers (default 50 %, at least one
// when the share allows it, never all) are ejected at once, so a sick
// cluster never ejects itself empty; past that share providers stay in
// however they fail. When an ejection ends the provider comes back through
// a probe: the next failover call sends its first attempt to it (other
// strategies take it back into their candidates), and its outcome decides
// — a success returns it to service, a failure ejects it again, for
// longer. An ejection count falls back to zero once the provider has stayed
// in service for outlier.max.ejection.
//
// State is per cluster invoker (reference) and provider invoker; the
// candidate list without the ejected providers is built once per list and
// change and then reused, so the call path does not allocate; with nothing
// ejected it is the directory's list itself.
type outlierDetector struct {
	hosts   atomic.Pointer[map[protocol.Invoker]*hostHealth] // copy on write
	mu      sync.Mutex                                       // serialises writers of hosts and ejections
	ejected atomic.Int32                                     // providers ejected or probing
	gen     atomic.Uint64                                    // bumped on every change of who is out
	size    atomic.Int32                                     // providers in the last list seen
	lists   [slotWaysOutlier]atomic.Pointer[admitted]
	next    atomic.Uint32
	logger  *slog.Logger
	now     func() time.Time
}

const slotWaysOutlier = 4

// Host states.
const (
	hostServing int32 = iota
	hostEjected
	hostProbing
)

// hostHealth is one provider's health, lock-free.
type hostHealth struct {
	state       atomic.Int32
	until       atomic.Int64 // unix ms: the ejection's end, or the probe's deadline
	ejections   atomic.Int32 // ejections in a row
	back        atomic.Int64 // unix ms it last returned to service
	consecutive atomic.Int32 // RPC failures in a row
	winStart    atomic.Int64 // unix ms
	winCalls    atomic.Int32
	winFails    atomic.Int32
	address     string // immutable
}

// admitted is one candidate list without the ejected providers.
type admitted struct {
	src  *protocol.Invoker
	n    int
	gen  uint64
	list []protocol.Invoker
}

func newOutlierDetector(logger *slog.Logger) *outlierDetector {
	return &outlierDetector{logger: logger, now: time.Now}
}

// host returns invoker's health, created on first use.
func (o *outlierDetector) host(invoker protocol.Invoker) *hostHealth {
	if m := o.hosts.Load(); m != nil {
		if h, ok := (*m)[invoker]; ok {
			return h
		}
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	old := o.hosts.Load()
	if old != nil {
		if h, ok := (*old)[invoker]; ok {
			return h
		}
	}
	next := make(map[protocol.Invoker]*hostHealth, 1)
	if old != nil {
		for k, v := range *old {
			// Providers long gone and in service are forgotten.
			if v.state.Load() != hostServing || !isDestroyedHint(k) {
				next[k] = v
			}
		}
	}
	h := &hostHealth{address: invoker.URL().Address()}
	next[invoker] = h
	o.hosts.Store(&next)
	return h
}

// isDestroyedHint reports whether invoker says it is gone for good: an
// invoker that is unavailable and no longer in any list is dropped when a
// new provider is first seen.
func isDestroyedHint(invoker protocol.Invoker) bool { return !invoker.IsAvailable() }

// How admit treats a provider whose ejection has ended.
type admitMode int

const (
	admitOnly    admitMode = iota // keep it out (a retry's list)
	admitProbe                    // claim it as the probe of this call
	admitRestore                  // return it to service (strategies that do not probe)
)

// admit returns candidates without the ejected providers and, with
// admitProbe, a provider whose ejection has ended to probe with this
// call's first attempt (it is then not in the list). It returns candidates
// itself while nothing is ejected.
func (o *outlierDetector) admit(candidates []protocol.Invoker, mode admitMode) ([]protocol.Invoker, protocol.Invoker) {
	if n := int32(len(candidates)); o.size.Load() != n {
		o.size.Store(n)
	}
	if o.ejected.Load() == 0 || len(candidates) == 0 {
		return candidates, nil
	}
	m := o.hosts.Load()
	if m == nil {
		return candidates, nil
	}
	nowMs := o.now().UnixMilli()
	var probe protocol.Invoker
	for _, iv := range candidates {
		h, ok := (*m)[iv]
		if !ok {
			continue
		}
		st := h.state.Load()
		if st == hostServing || nowMs < h.until.Load() {
			continue
		}
		// An ended ejection, or a probe that never reported.
		if mode == admitProbe && probe == nil {
			if h.state.CompareAndSwap(st, hostProbing) {
				h.until.Store(nowMs + time.Minute.Milliseconds())
				o.gen.Add(1)
				probe = iv
			}
			continue
		}
		if mode == admitRestore && st == hostEjected {
			o.restore(h, nowMs, hostEjected)
		}
	}
	return o.filtered(candidates, *m), probe
}

// filtered is candidates without the providers out of service, cached per
// list and generation; candidates itself when that would leave none.
func (o *outlierDetector) filtered(candidates []protocol.Invoker, m map[protocol.Invoker]*hostHealth) []protocol.Invoker {
	gen := o.gen.Load()
	src, n := unsafe.SliceData(candidates), len(candidates)
	for i := range o.lists {
		if a := o.lists[i].Load(); a != nil && a.src == src && a.n == n && a.gen == gen {
			return a.list
		}
	}
	list := make([]protocol.Invoker, 0, n)
	for _, iv := range candidates {
		if h, ok := m[iv]; ok && h.state.Load() != hostServing {
			continue
		}
		list = append(list, iv)
	}
	if len(list) == 0 || len(list) == n {
		list = candidates
	}
	o.lists[o.next.Add(1)%slotWaysOutlier].Store(&admitted{src: src, n: n, gen: gen, list: list})
	return list
}

// countsAgainst reports whether err is a failure that counts against the
// provider's health.
func countsAgainst(err error) bool {
	switch protocol.KindOf(err) {
	case protocol.KindNetwork, protocol.KindTimeout, protocol.KindUnknown, protocol.KindSerialization:
		return true
	}
	return false
}

// record applies the outcome of one attempt on invoker under p.
func (o *outlierDetector) record(ctx context.Context, invoker protocol.Invoker, err error, p *outlierParams) {
	h := o.host(invoker)
	if err != nil && !protocol.IsBusiness(err) && ctx.Err() != nil {
		// Cancelled by the caller (or a hedge won): says nothing of the
		// provider. A probe cut short is due again.
		if h.state.Load() == hostProbing {
			h.until.Store(0)
		}
		return
	}
	nowMs := o.now().UnixMilli()
	if start := h.winStart.Load(); nowMs-start >= p.window && h.winStart.CompareAndSwap(start, nowMs) {
		h.winCalls.Store(0)
		h.winFails.Store(0)
	}
	calls := h.winCalls.Add(1)
	if err == nil || !countsAgainst(err) {
		h.consecutive.Store(0)
		if h.state.Load() == hostProbing {
			o.restore(h, nowMs, hostProbing)
		}
		return
	}
	fails := h.winFails.Add(1)
	n := h.consecutive.Add(1)
	switch {
	case h.state.Load() == hostProbing:
		o.eject(h, nowMs, p, "probe failed", err)
	case p.consecutive > 0 && n >= p.consecutive:
		o.eject(h, nowMs, p, "consecutive failures", err)
	case p.rate > 0 && calls >= p.minCalls && int64(fails)*100 >= int64(p.rate)*int64(calls):
		o.eject(h, nowMs, p, "failure rate", err)
	}
}

// eject takes h out of service unless that would pass the max share.
func (o *outlierDetector) eject(h *hostHealth, nowMs int64, p *outlierParams, reason string, cause error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	st := h.state.Load()
	if st == hostEjected {
		return
	}
	if st == hostServing {
		size := int(o.size.Load())
		allowed := 0
		if p.maxPercent > 0 {
			allowed = min(max(size*int(p.maxPercent)/100, 1), size-1)
		}
		if int(o.ejected.Load()) >= allowed {
			return
		}
		if nowMs-h.back.Load() >= p.maxEjection {
			h.ejections.Store(0) // in service long enough: start again
		}
	}
	k := h.ejections.Add(1)
	d := min(p.ejection*int64(k), p.maxEjection)
	h.until.Store(nowMs + d)
	h.consecutive.Store(0)
	h.winCalls.Store(0)
	h.winFails.Store(0)
	h.state.Store(hostEjected)
	if st == hostServing {
		o.ejected.Add(1)
	}
	o.gen.Add(1)
	o.logger.Warn("provider ejected", "provider", h.address, "reason", reason,
		"for", time.Duration(d)*time.Millisecond, "ejections", k, "err", cause)
}

// restore returns h to service if it is still in state from.
func (o *outlierDetector) restore(h *hostHealth, nowMs int64, from int32) {
	if !h.state.CompareAndSwap(from, hostServing) {
		return
	}
	h.back.Store(nowMs)
	h.consecutive.Store(0)
	o.ejected.Add(-1)
	o.gen.Add(1)
	o.logger.Info("provider back in service", "provider", h.address)
}

// ProviderHealth is one provider's outlier state, as Outliers reports it.
type ProviderHealth struct {
	// Address is the provider's host:port.
	Address string
	// State is "serving", "ejected" or "probing".
	State string
	// Until is when the ejection ends (zero when serving).
	Until time.Time
	// Ejections counts the ejections in a row.
	Ejections int
	// ConsecutiveFailures counts the RPC failures in a row.
	ConsecutiveFailures int
}

// Outliers reports the outlier state of every provider invoker has
// called, sorted by address, for tools, metrics and admin pages; nil when invoker is no
// cluster invoker of this package or has seen no call with outlier
// ejection on. Wrappers (filters, Unwrapper) are looked through.
func Outliers(invoker protocol.Invoker) []ProviderHealth {
	b := baseUnder(invoker)
	if b == nil {
		return nil
	}
	m := b.outlier.hosts.Load()
	if m == nil {
		return nil
	}
	out := make([]ProviderHealth, 0, len(*m))
	for _, h := range *m {
		ph := ProviderHealth{Address: h.address, Ejections: int(h.ejections.Load()), ConsecutiveFailures: int(h.consecutive.Load())}
		switch h.state.Load() {
		case hostServing:
			ph.State = "serving"
		case hostEjected:
			ph.State, ph.Until = "ejected", time.UnixMilli(h.until.Load())
		default:
			ph.State, ph.Until = "probing", time.UnixMilli(h.until.Load())
		}
		out = append(out, ph)
	}
	slices.SortFunc(out, func(a, b ProviderHealth) int { return strings.Compare(a.Address, b.Address) })
	return out
}
