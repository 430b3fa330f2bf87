package cluster

import (
	"sync/atomic"
	"time"

	"github.com/fleetrpc/fleet/common"
)

// RetryBudget bounds the extra attempts of a reference — failover retries
// and hedges alike — to Ratio of its calls plus MinPerSecond per second,
// counted over TTL (Finagle's RetryBudget): every call deposits Ratio, an
// extra attempt withdraws 1, and a reserve of MinPerSecond × TTL lets a
// quiet reference retry at all. So a brown-out is not multiplied by
// retries: with Ratio 0.2, at most about one call in five is retried once
// traffic is well above the floor.
//
// It is lock-free and does not allocate; concurrent withdrawals may
// overdraw it by the number of callers racing for the last token.
type RetryBudget struct {
	ratio   float64
	reserve float64 // MinPerSecond × TTL
	ttl     int64   // seconds
	now     func() time.Time
	buckets [maxRetryBudgetTTLInSeconds]budgetBucket
}

// budgetBucket counts one second's deposits and withdrawals.
type budgetBucket struct {
	sec       atomic.Int64
	deposits  atomic.Int64
	withdrawn atomic.Int64
}

// NewRetryBudget returns a budget of ratio (0 < ratio; a deposit per call),
// minPerSecond (≥ 0) and ttl (rounded to whole seconds, 1 s to 60 s). now
// nil means time.Now.
func NewRetryBudget(ratio float64, minPerSecond int, ttl time.Duration, now func() time.Time) *RetryBudget {
	secs := min(max(int64(ttl/time.Second), 1), maxRetryBudgetTTLInSeconds)
	if now == nil {
		now = time.Now
	}
	return &RetryBudget{ratio: ratio, reserve: float64(max(minPerSecond, 0)) * float64(secs), ttl: secs, now: now}
}

// retryBudgetFrom is the budget the consumer URL u asks for, nil when
// retry.budget.ratio is absent, malformed or not positive.
func retryBudgetFrom(u *common.URL) *RetryBudget {
	ratio, err := u.ParamFloat(RetryBudgetRatioKey, 0)
	if err != nil || ratio <= 0 {
		return nil
	}
	minPerSec, err := u.ParamInt(RetryBudgetMinKey, DefaultRetryBudgetMin)
	if err != nil {
		minPerSec = DefaultRetryBudgetMin
	}
	ttl, err := u.ParamDuration(RetryBudgetTTLKey, DefaultRetryBudgetTTL)
	if err != nil {
		ttl = DefaultRetryBudgetTTL
	}
	return NewRetryBudget(ratio, minPerSec, ttl, nil)
}

// bucket is the current second's bucket, reset when it held an older one.
func (b *RetryBudget) bucket(sec int64) *budgetBucket {
	bk := &b.buckets[sec%b.ttl]
	if old := bk.sec.Load(); old != sec && bk.sec.CompareAndSwap(old, sec) {
		bk.deposits.Store(0)
		bk.withdrawn.Store(0)
	}
	return bk
}

// Deposit records a call.
func (b *RetryBudget) Deposit() {
	b.bucket(b.now().Unix()).deposits.Add(1)
}

// TryWithdraw takes one extra attempt out of the budget, reporting whether
// there was one.
func (b *RetryBudget) TryWithdraw() bool {
	sec := b.now().Unix()
	if b.Balance(sec) < 1 {
		return false
	}
	b.bucket(sec).withdrawn.Add(1)
	return true
}

// Balance is the number of extra attempts the budget allows at the unix
// second sec.
func (b *RetryBudget) Balance(sec int64) float64 {
	var deposits, withdrawn int64
	for i := range b.ttl {
		bk := &b.buckets[i]
		if s := bk.sec.Load(); s > sec-b.ttl && s <= sec {
			deposits += bk.deposits.Load()
			withdrawn += bk.withdrawn.Load()
		}
	}
	return b.reserve + b.ratio*float64(deposits) - float64(withdrawn)
}
