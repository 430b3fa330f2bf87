package loadbalance

import (
	"time"

	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/protocol"
)

// Weight is the weight of invoker for method at now (Java
// AbstractLoadBalance.getWeight, 3.x): the method param weight of the
// invoker's URL (default 100, also for a malformed value; negative counts
// as 0, as common's bounded getters read it), reduced during the
// provider's warm-up. When the weight is positive and the URL has a
// timestamp (ms) in the past, a provider up for less than warmup (default
// 10 min) gets max(1, min(weight, int(float32(uptime) / (float32(warmup) /
// float32(weight))))), the linear formula of Dubbo 3.x; a timestamp in the
// future gives 1. The result is never negative. It does not allocate.
func Weight(invoker protocol.Invoker, method string, now time.Time) int {
	return urlWeight(invoker.URL(), method, now.UnixMilli())
}

func urlWeight(u *common.URL, method string, nowMs int64) int {
	w, _ := u.MethodParamNonNegativeInt(method, common.WeightKey, common.DefaultWeight)
	if w > 0 {
		if ts, err := u.ParamInt64(common.TimestampKey, 0); err == nil && ts > 0 {
			uptime := nowMs - ts
			if uptime < 0 {
				return 1
			}
			warmup, _ := u.ParamNonNegativeDuration(common.WarmupKey, common.DefaultWarmup)
			if wm := warmup.Milliseconds(); uptime > 0 && uptime < wm {
				w = warmupWeight(uptime, wm, w)
			}
		}
	}
	return w
}

// WarmupWeight is the weight of a provider of weight that has been up for
// uptime of its warm-up period warmup (Java's
// AbstractLoadBalance.calculateWarmupWeight, the linear formula of Dubbo
// 3.x, in Java's float arithmetic): max(1, min(weight, uptime × weight /
// warmup)). It is meant for 0 < uptime < warmup, which the caller checks as
// Weight does; a warmup of 0 or less gives weight. With weight 100 and a
// 10 min warm-up: 12 s → 2, 5 min → 50, 9 min → 90.
func WarmupWeight(uptime, warmup time.Duration, weight int) int {
	if warmup <= 0 {
		return weight
	}
	return warmupWeight(uptime.Milliseconds(), warmup.Milliseconds(), weight)
}

// warmupWeight is Java's calculateWarmupWeight, in its float arithmetic.
func warmupWeight(uptime, warmup int64, weight int) int {
	ww := int(float32(int32(uptime)) / (float32(int32(warmup)) / float32(weight)))
	if ww < 1 {
		return 1
	}
	return min(ww, weight)
}
