package loadbalance

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestWeightWarmup(t *testing.T) {
	// cluster.md §4.1: weight 100, default warm-up of 600 000 ms.
	const start = int64(1_700_000_000_000)
	tests := []struct {
		params string
		uptime int64 // ms
		want   int
	}{
		{"", 12_000, 2},
		{"", 60_000, 10},
		{"", 300_000, 50},
		{"", 306_000, 51},
		{"", 540_000, 90},
		{"", 600_000, 100},
		{"", 900_000, 100},
		{"", 0, 100},           // uptime 0 keeps the full weight
		{"", -5, 1},            // a timestamp in the future
		{"", 1, 1},             // never below 1
		{"&weight=0", 1000, 0}, // zero weight skips the warm-up
		{"&weight=-3", 1000, 0},
		{"&weight=abc", 1000, 1}, // the default 100, in its warm-up
		{"&weight=200", 300_000, 100},
		{"&warmup=60000", 30_000, 50},
		{"&warmup=1m", 30_000, 50},
		{"&sayHello.weight=10", 300_000, 5},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s@%d", tt.params, tt.uptime), func(t *testing.T) {
			iv := invokers(fmt.Sprintf("timestamp=%d%s", start, tt.params))[0]
			require.Equal(t, tt.want, Weight(iv, "sayHello", time.UnixMilli(start+tt.uptime)))
		})
	}
	require.Equal(t, 100, Weight(invokers("")[0], "m", time.Now()), "no timestamp: full weight")
	require.Equal(t, 7, Weight(invokers("weight=7&timestamp=0")[0], "m", time.Now()))
}

func TestWarmupWeightFormula(t *testing.T) {
	tests := []struct {
		uptime, warmup time.Duration
		weight, want   int
	}{
		{12 * time.Second, 10 * time.Minute, 100, 2},
		{time.Minute, 10 * time.Minute, 100, 10},
		{5 * time.Minute, 10 * time.Minute, 100, 50},
		{306 * time.Second, 10 * time.Minute, 100, 51},
		{9 * time.Minute, 10 * time.Minute, 100, 90},
		{time.Millisecond, 10 * time.Minute, 100, 1}, // never below 1
		{10 * time.Second, 20 * time.Second, 7, 3},   // 10000 / (20000/7) = 3.5
		{30 * time.Second, 20 * time.Second, 7, 7},   // capped at the weight
		{30 * time.Second, 0, 7, 7},                  // no warm-up
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%v/%v/%d", tt.uptime, tt.warmup, tt.weight), func(t *testing.T) {
			require.Equal(t, tt.want, WarmupWeight(tt.uptime, tt.warmup, tt.weight))
		})
	}
}
