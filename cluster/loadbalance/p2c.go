package loadbalance

import (
	"time"

	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/protocol"
)

// P2CName is the name of the power-of-two-choices balancer.
const P2CName = "p2c"

func init() { Register(P2CName, &P2C{}) }

// P2C draws two distinct candidates at random and picks the cheaper (the
// first on ties), where cost = latency × (in flight + 1) / weight
// (Finagle's and Linkerd's peak-EWMA power of two choices). Beyond Dubbo.
//
// latency is the method's peak-EWMA elapsed time (MethodStats.PeakLatency):
// it jumps to a slow sample at once and decays towards fast ones with the
// time since the last sample (PeakDecay), a failure counting at least
// twice the current cost. A provider without samples, or without one for
// ProbeAfter, borrows the other's, so it is judged by its calls in flight
// alone and a provider avoided for being slow is probed again. weight is
// its Weight: a provider still in its warm-up gets a reduced weight — from
// its URL timestamp as in §4.1, or, without a timestamp, from when its
// statistics were created — so a new provider is not flooded before it
// has a latency (slow start).
//
// Beside Java's shortestresponse (ShortestResponse): both multiply a
// latency by the calls in flight plus one. shortestresponse averages the
// successes of a 30 s window, scans every candidate and ignores failures
// and weights except to break ties; p2c reacts to the latest slow sample,
// forgets it smoothly, reads two candidates only (O(1) per call) and
// divides by the (warm-up) weight.
//
// Select reads two candidates' statistics, does not allocate in steady
// state and takes no lock.
type P2C struct {
	// Stats are the statistics read; nil means DefaultStats().
	Stats *Stats
	// Intn returns a number in [0, n); nil means math/rand/v2's IntN.
	Intn func(n int) int
	// ProbeAfter is how long a latency average stays valid without a new
	// sample; an older one counts as unknown, so a provider that was
	// avoided for being slow is tried again. 0 means DefaultProbeAfter.
	ProbeAfter time.Duration
	// Now is the clock of the slow start and of ProbeAfter; nil means
	// time.Now.
	Now func() time.Time

	tables stateMap[tableSlot]
}

// Name is the registered name of the balancer.
func (p *P2C) Name() string { return P2CName }

// Select implements LoadBalance.
func (p *P2C) Select(invokers []protocol.Invoker, consumer *common.URL, inv protocol.Invocation) protocol.Invoker {
	n := len(invokers)
	switch n {
	case 0:
		return nil
	case 1:
		return invokers[0]
	}
	i := randIntn(p.Intn, n)
	j := randIntn(p.Intn, n-1)
	if j >= i {
		j++
	}
	t := p.tables.get(invokers, consumer, inv, newTableSlot).tableFor(invokers, protocol.RealMethodName(inv), statsOr(p.Stats), nil)
	nowMs := nowFrom(p.Now).UnixMilli()
	sa, sb := t.statsAt(i), t.statsAt(j)
	la, lb := p.latency(sa, nowMs), p.latency(sb, nowMs)
	switch {
	case la == 0 && lb == 0:
		la, lb = 1, 1
	case la == 0:
		la = lb
	case lb == 0:
		lb = la
	}
	ca := la * float64(sa.Active()+1) / float64(max(t.slowStartWeight(i, sa, nowMs), 1))
	cb := lb * float64(sb.Active()+1) / float64(max(t.slowStartWeight(j, sb, nowMs), 1))
	if cb < ca {
		return invokers[j]
	}
	return invokers[i]
}

// DefaultProbeAfter is the default of P2C.ProbeAfter.
const DefaultProbeAfter = 5 * time.Second

// latency is ms's peak-EWMA latency in ns, 0 when unknown or stale.
func (p *P2C) latency(ms *MethodStats, nowMs int64) float64 {
	probe := p.ProbeAfter
	if probe <= 0 {
		probe = DefaultProbeAfter
	}
	if nowMs-ms.lastEnd.Load() > probe.Milliseconds() {
		return 0
	}
	return float64(ms.PeakLatency(nowMs))
}

// slowStartWeight is candidate i's weight, with the warm-up counted from
// the statistics' creation when its URL has no timestamp.
func (t *table) slowStartWeight(i int, ms *MethodStats, nowMs int64) int {
	w := t.weightAt(i, nowMs)
	if t.ts[i] > 0 || w <= 0 {
		return w
	}
	if up := nowMs - ms.created; up >= 0 && up < t.warmup[i] {
		return warmupWeight(up, t.warmup[i], w)
	}
	return w
}
