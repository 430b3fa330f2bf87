package chaos

import (
	"crypto/rand"
	"encoding/hex"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// group is a fresh root node for one test.
func group(t *testing.T) string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return "chaos-" + strings.ToLower(strings.NewReplacer("/", "-", " ", "-").Replace(t.Name())) + "-" + hex.EncodeToString(b[:])
}

// servedBy reports whether name served a call in one of ws.
func servedBy(ws []report, name string) bool {
	for _, w := range ws {
		if w.By[name] > 0 {
			return true
		}
	}
	return false
}

// TestProviderKilled: one of three providers is killed (SIGKILL) while 16
// callers call through failover; no idempotent call fails.
func TestProviderKilled(t *testing.T) {
	z := startZK(t)
	reg := registryURL(z, group(t), "&session=4000&timeout=5000&file.cache=false")
	startProvider(t, reg, "p1")
	p2 := startProvider(t, reg, "p2")
	startProvider(t, reg, "p3")
	c := startConsumer(t, reg, "cluster=failover&retries=2&timeout=2000&loadbalance=random")

	c.run(time.Second)
	require.True(t, servedBy(c.windowsFrom(0), "p2"), "p2 serves before it is killed")
	p2.Signal(syscall.SIGKILL)
	killed := c.mark()
	c.run(3 * time.Second)
	after := c.windowsFrom(killed + 2)
	require.False(t, servedBy(after, "p2"), "nothing is served by the killed provider")
	require.True(t, servedBy(after, "p1") && servedBy(after, "p3"), "the others serve")

	total := c.quit()
	summary(t, "provider killed", total, "0 failed calls, longest stall < 2 s")
	require.Zero(t, total.failed(), "no call failed: %v %q", total.Fail, total.Errs)
	require.Less(t, total.Stall, 2000.0, "longest stall (ms)")
}

// p99s are the windows' p99 latencies.
func p99s(ws []report) []float64 {
	out := make([]float64, 0, len(ws))
	for _, w := range ws {
		if w.Calls > 0 {
			out = append(out, w.P99)
		}
	}
	return out
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	return s[len(s)/2]
}

// TestProviderFrozen: one of three providers is frozen (SIGSTOP), so its
// calls time out; with outlier ejection on, it is ejected, the p99 of the
// calls (per 250 ms window) is under twice the baseline measured in the
// same run from 5 s after the freeze on (the median of those windows, so
// that one noisy window of a loaded machine does not decide), and
// failover keeps every call from failing.
func TestProviderFrozen(t *testing.T) {
	z := startZK(t)
	reg := registryURL(z, group(t), "&session=4000&timeout=5000&file.cache=false")
	startProvider(t, reg, "p1")
	p2 := startProvider(t, reg, "p2")
	startProvider(t, reg, "p3")
	const timeout = 250 * time.Millisecond
	c := startConsumer(t, reg, "cluster=failover&retries=2&timeout=250&loadbalance=random"+
		"&outlier.consecutive=3&outlier.ejection=60s")

	c.run(time.Second) // warm-up
	from := c.mark()
	c.run(2 * time.Second)
	base := c.windowsFrom(from)
	baseline := median(p99s(base))
	require.Positive(t, baseline)

	p2.Signal(syscall.SIGSTOP)
	frozen := c.mark()
	c.run(7 * time.Second)
	ws := c.windowsFrom(frozen)
	bound := 2 * baseline
	t.Logf("baseline p99 %.2f ms (median of %d windows); p99 per window after the freeze: %v",
		baseline, len(base), p99s(ws))
	// The first window under the bound once the first timeouts were due.
	skip := int(timeout/consumerWindow) + 1
	back := slices.IndexFunc(ws[skip:], func(w report) bool { return w.Calls > 0 && w.P99 <= bound })
	require.GreaterOrEqual(t, back, 0, "p99 back under %.2f ms", bound)
	t.Logf("p99 under 2× baseline (%.2f ms) %v after the freeze", bound, time.Duration(skip+back+1)*consumerWindow)
	within := int(5 * time.Second / consumerWindow)
	require.LessOrEqual(t, skip+back+1, within, "p99 back under 2× baseline within 5 s")
	require.LessOrEqual(t, median(p99s(ws[within:])), bound, "p99 under 2× baseline from 5 s after the freeze on")
	ejected := c.stderr.matching(`"provider ejected"`, p2.addr)
	require.Len(t, ejected, 1, "the frozen provider is ejected once")
	require.Empty(t, c.stderr.matching(`"provider ejected"`, `"reason":"probe failed"`), "no probe within the ejection")

	p2.Signal(syscall.SIGCONT)
	total := c.quit()
	summary(t, "provider frozen", total, "0 failed calls; p99 under 2× baseline within 5 s")
	require.Zero(t, total.failed(), "no call failed: %v %q", total.Fail, total.Errs)
}

