package cluster

import (
	"strconv"
	"time"

	"github.com/fleetrpc/fleet/common"
)

// Parameters of the resilience features beyond Dubbo: outlier ejection,
// hedged attempts and the retry budget. Every one is off unless its URL
// parameter is set on the consumer (reference) URL, so a reference without
// them behaves exactly as Java Dubbo's. The outlier and hedge keys are
// method params too ("<method>.hedge.delay=20ms" overrides
// "hedge.delay"); the retry budget is one per reference.
const (
	// OutlierConsecutiveKey ejects a provider after this many RPC failures
	// in a row (0: off).
	OutlierConsecutiveKey = "outlier.consecutive"
	// OutlierFailureRateKey ejects a provider whose RPC failures reach this
	// percentage (1–100) of its calls within OutlierWindowKey, once it has
	// OutlierMinCallsKey calls in it (0: off).
	OutlierFailureRateKey = "outlier.failure.rate"
	// OutlierWindowKey is the failure-rate window (default 10 s).
	OutlierWindowKey = "outlier.window"
	// OutlierMinCallsKey is the calls a window needs before its rate counts
	// (default 10).
	OutlierMinCallsKey = "outlier.min.calls"
	// OutlierEjectionKey is the base ejection time (default 30 s); the n-th
	// ejection in a row lasts n times as long.
	OutlierEjectionKey = "outlier.ejection"
	// OutlierMaxEjectionKey caps an ejection's length (default 300 s).
	OutlierMaxEjectionKey = "outlier.max.ejection"
	// OutlierMaxPercentKey is the largest share of the providers ejected at
	// once (default 50); never all of them.
	OutlierMaxPercentKey = "outlier.max.percent"

	// HedgeDelayKey sends another attempt to another provider when the
	// current ones have not answered within it (0: off). Set it only on
	// idempotent methods.
	HedgeDelayKey = "hedge.delay"
	// HedgePercentileKey learns the hedge delay as this latency percentile
	// (e.g. 95) of the method's successful attempts; until enough are seen,
	// HedgeDelayKey applies (0: off).
	HedgePercentileKey = "hedge.percentile"

	// RetryBudgetRatioKey bounds failover retries and hedges together to
	// this ratio of the reference's calls (e.g. 0.2) plus RetryBudgetMinKey
	// per second, over RetryBudgetTTLKey (0: off, every retry allowed).
	RetryBudgetRatioKey = "retry.budget.ratio"
	// RetryBudgetMinKey is the retries allowed per second whatever the
	// traffic (default 10).
	RetryBudgetMinKey = "retry.budget.min"
	// RetryBudgetTTLKey is how long a call's deposit stays (default 10 s,
	// at most 60 s).
	RetryBudgetTTLKey = "retry.budget.ttl"
)

// Defaults of the keys above.
const (
	DefaultOutlierWindow       = 10 * time.Second
	DefaultOutlierMinCalls     = 10
	DefaultOutlierEjection     = 30 * time.Second
	DefaultOutlierMaxEjection  = 300 * time.Second
	DefaultOutlierMaxPercent   = 50
	DefaultRetryBudgetMin      = 10
	DefaultRetryBudgetTTL      = 10 * time.Second
	hedgeMinSamples            = 20
	maxRetryBudgetTTLInSeconds = 60
)

// outlierParams is one method's ejection policy; zero thresholds mean off.
type outlierParams struct {
	consecutive int32
	rate        int32 // percent
	window      int64 // ms
	minCalls    int32
	ejection    int64 // ms
	maxEjection int64 // ms
	maxPercent  int32
}

func (p *outlierParams) on() bool { return p.consecutive > 0 || p.rate > 0 }

// hedgeParams is one method's hedging policy.
type hedgeParams struct {
	delay      time.Duration
	percentile float64 // 0 < p < 100, or 0
}

func (p *hedgeParams) on() bool { return p.delay > 0 || p.percentile > 0 }

// readOutlier reads method's ejection policy from u; malformed values are
// their defaults (off for the thresholds).
func readOutlier(u *common.URL, method string) outlierParams {
	intOr := func(key string, def int) int {
		n, err := u.MethodParamInt(method, key, def)
		if err != nil {
			return def
		}
		return n
	}
	durOr := func(key string, def time.Duration) int64 {
		d, err := u.MethodParamDuration(method, key, def)
		if err != nil || d <= 0 {
			d = def
		}
		return d.Milliseconds()
	}
	p := outlierParams{
		consecutive: int32(max(intOr(OutlierConsecutiveKey, 0), 0)),
		rate:        int32(min(max(intOr(OutlierFailureRateKey, 0), 0), 100)),
		window:      durOr(OutlierWindowKey, DefaultOutlierWindow),
		minCalls:    int32(max(intOr(OutlierMinCallsKey, DefaultOutlierMinCalls), 1)),
		ejection:    durOr(OutlierEjectionKey, DefaultOutlierEjection),
		maxEjection: durOr(OutlierMaxEjectionKey, DefaultOutlierMaxEjection),
		maxPercent:  int32(min(max(intOr(OutlierMaxPercentKey, DefaultOutlierMaxPercent), 0), 100)),
	}
	p.maxEjection = max(p.maxEjection, p.ejection)
	return p
}

// readHedge reads method's hedging policy from u.
func readHedge(u *common.URL, method string) hedgeParams {
	var p hedgeParams
	if d, err := u.MethodParamDuration(method, HedgeDelayKey, 0); err == nil && d > 0 {
		p.delay = d
	}
	if v, _ := u.MethodParam(method, HedgePercentileKey); v != "" {
		if f, err := strconv.ParseFloat(v, 64); err == nil && f > 0 && f < 100 {
			p.percentile = f
		}
	}
	return p
}

// hasResilienceParams reports whether u sets any outlier or hedge key, at
// reference or method level: without them a call takes the plain path.
func hasResilienceParams(u *common.URL) bool {
	found := false
	u.RangeParams(func(key, _ string) bool {
		found = containsKey(key, "outlier.") || containsKey(key, "hedge.")
		return !found
	})
	return found
}

// containsKey reports whether key is prefix… or ….prefix… (a method param).
func containsKey(key, prefix string) bool {
	for i := 0; i+len(prefix) <= len(key); i++ {
		if (i == 0 || key[i-1] == '.') && key[i:i+len(prefix)] == prefix {
			return true
		}
	}
	return false
}
