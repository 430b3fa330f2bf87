package chaos

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/stretchr/testify/require"

	"github.com/fleetrpc/fleet/internal/zktest"
	"github.com/fleetrpc/fleet/protocol"
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
	z := zktest.StartServer(t)
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
	requireStall(t, total)
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
// calls time out; with outlier ejection on, it is ejected and the p99 of
// the calls (per 250 ms window) is back under twice the baseline measured
// in the same run within 5 s, and stays there: the median of the windows'
// p99 from 5 s after the freeze on, so that a noisy window of a loaded
// machine does not decide. On a machine so loaded that scheduling noise
// passes 2× the baseline, the bound is the baseline plus 10 ms (the
// timeout, which a call to the frozen provider waits, is 250 ms). Failover
// keeps every call from failing. A second consumer without ejection,
// calling meanwhile, shows the difference: its p99 stays at the timeout.
func TestProviderFrozen(t *testing.T) {
	z := zktest.StartServer(t)
	// Sessions outlive the run: the frozen provider stays registered, so
	// only ejection takes it out.
	reg := registryURL(z, group(t), "&session=30000&timeout=5000&file.cache=false")
	startProvider(t, reg, "p1")
	p2 := startProvider(t, reg, "p2")
	startProvider(t, reg, "p3")
	const timeout = 250 * time.Millisecond
	// The callers pause 5 ms between calls, so that the two consumers
	// leave the machine some room and the latencies measure the calls.
	c := startConsumerPaced(t, reg, "cluster=failover&retries=2&timeout=250&loadbalance=random"+
		"&outlier.consecutive=3&outlier.ejection=60s", 5*time.Millisecond)
	plain := startConsumerPaced(t, reg, "cluster=failover&retries=2&timeout=250&loadbalance=random", 5*time.Millisecond)

	c.run(time.Second) // warm-up
	from := c.mark()
	c.run(2 * time.Second)
	base := c.windowsFrom(from)
	baseline := median(p99s(base))
	require.Positive(t, baseline)

	p2.Signal(syscall.SIGSTOP)
	frozen, plainFrozen := c.mark(), plain.mark()
	c.run(9 * time.Second)
	ws := c.windowsFrom(frozen)
	bound := max(2*baseline, baseline+10)
	t.Logf("baseline p99 %.2f ms (median of %d windows); p99 per window after the freeze: %v",
		baseline, len(base), p99s(ws))
	// The first window under the bound once the first timeouts were due.
	skip := int(timeout/consumerWindow) + 1
	back := slices.IndexFunc(ws[skip:], func(w report) bool { return w.Calls > 0 && w.P99 <= bound })
	require.GreaterOrEqual(t, back, 0, "p99 back under %.2f ms", bound)
	t.Logf("p99 under the bound (%.2f ms) %v after the freeze", bound, time.Duration(skip+back+1)*consumerWindow)
	within := int(5 * time.Second / consumerWindow)
	require.LessOrEqual(t, skip+back+1, within, "p99 back under the bound within 5 s")
	after := median(p99s(ws[within:]))
	t.Logf("median p99 from 5 s after the freeze on: %.2f ms (%.1f× the baseline)", after, after/baseline)
	require.LessOrEqual(t, after, bound, "p99 under the bound from 5 s after the freeze on")
	ejected := c.stderr.matching(`"provider ejected"`, p2.addr)
	require.Len(t, ejected, 1, "the frozen provider is ejected once: %q", c.stderr.matching("eject"))
	require.Empty(t, c.stderr.matching(`"provider ejected"`, `"reason":"probe failed"`), "no probe within the ejection")
	pws := plain.windowsFrom(plainFrozen)
	t.Logf("without ejection, p99 per window after the freeze: %v", p99s(pws))
	require.GreaterOrEqual(t, median(p99s(pws[within:])), float64(timeout.Milliseconds()),
		"without ejection the frozen provider's timeouts stay in the p99")

	p2.Signal(syscall.SIGCONT)
	plainTotal := plain.quit()
	summary(t, "provider frozen, no ejection", plainTotal, "0 failed calls; longest stall < 2 s")
	require.Zero(t, plainTotal.failed(), "no call failed: %v %q", plainTotal.Fail, plainTotal.Errs)
	requireStall(t, plainTotal)
	total := c.quit()
	summary(t, "provider frozen", total, "0 failed calls; p99 under 2× baseline within 5 s; longest stall < 2 s")
	require.Zero(t, total.failed(), "no call failed: %v %q", total.Fail, total.Errs)
	requireStall(t, total)
}

// consumerNodes are the consumer nodes registered under root and their
// sessions.
func consumerNodes(t *testing.T, c *zk.Conn, root string) map[string]int64 {
	t.Helper()
	path := "/" + root + "/" + service + "/consumers"
	names, _, err := c.Children(path)
	if errors.Is(err, zk.ErrNoNode) {
		return nil
	}
	require.NoError(t, err, path)
	out := map[string]int64{}
	for _, n := range names {
		ok, st, err := c.Exists(path + "/" + n)
		if err == nil && ok {
			out[n] = st.EphemeralOwner
		}
	}
	return out
}

// TestZooKeeperRestarted: ZooKeeper is stopped for 20 s and started again
// on its data; no call fails meanwhile, a provider started after the
// restart gets traffic within 5 s, and the consumer's node is registered.
func TestZooKeeperRestarted(t *testing.T) {
	z := zktest.StartServer(t)
	root := group(t)
	reg := registryURL(z, root, "&session=10000&timeout=5000&file.cache=false")
	for _, name := range []string{"p1", "p2", "p3"} {
		startProvider(t, reg, name)
	}
	c := startConsumer(t, reg, "cluster=failover&retries=2&timeout=2000&loadbalance=random")
	obs := zkClient(t, z)
	var before map[string]int64
	require.Eventually(t, func() bool { before = consumerNodes(t, obs, root); return len(before) == 1 },
		10*time.Second, 50*time.Millisecond, "the consumer is registered")
	c.run(time.Second)

	z.Stop()
	down := c.mark()
	c.run(20 * time.Second)
	during := c.windowsFrom(down)
	z.Start()
	t.Logf("zookeeper down for %v; calls meanwhile: %d", 20*time.Second, sumCalls(during))
	require.True(t, servedBy(during[len(during)-4:], "p1") && servedBy(during[len(during)-4:], "p3"),
		"providers keep serving while ZooKeeper is down")

	startProvider(t, reg, "p4") // registers once its session is up
	windows, ok := c.waitServed("p4", 5*time.Second)
	require.True(t, ok, "the provider added after the restart gets traffic within 5 s")
	t.Logf("p4 served within %v", time.Duration(windows)*consumerWindow)

	var after map[string]int64
	require.Eventually(t, func() bool { after = consumerNodes(t, obs, root); return len(after) == 1 }, 10*time.Second, 50*time.Millisecond,
		"the consumer is registered after the restart")
	for name, owner := range after {
		t.Logf("consumer node after the restart: session %#x (before: %#x)", owner, before[name])
	}
	c.run(time.Second)
	total := c.quit()
	summary(t, "zookeeper restarted", total, "0 failed calls; a new provider served within 5 s; longest stall < 2 s")
	require.Zero(t, total.failed(), "no call failed: %v %q", total.Fail, total.Errs)
	requireStall(t, total)
}

func sumCalls(ws []report) int {
	n := 0
	for _, w := range ws {
		n += w.Calls
	}
	return n
}

// TestSessionExpired: the consumer's ZooKeeper session expires (ended
// from a second connection, as ZooKeeper ends a session that timed out);
// the consumer registers again on a new session and subscribes again, no
// call fails (in particular none for want of a provider), and a provider
// added afterwards gets traffic, so the new watches work.
func TestSessionExpired(t *testing.T) {
	z := zktest.StartServer(t)
	root := group(t)
	reg := registryURL(z, root, "&session=4000&timeout=5000&file.cache=false")
	for _, name := range []string{"p1", "p2", "p3"} {
		startProvider(t, reg, name)
	}
	c := startConsumer(t, reg, "cluster=failover&retries=2&timeout=2000&loadbalance=random")
	obs := zkClient(t, z)
	var before map[string]int64
	require.Eventually(t, func() bool { before = consumerNodes(t, obs, root); return len(before) == 1 },
		10*time.Second, 50*time.Millisecond, "the consumer is registered")
	c.run(time.Second)

	c.command("expire")
	c.wait("expired", func() bool { return len(c.expired) > 0 })
	require.Empty(t, c.expired[0].Errs, "the session was ended")
	require.Eventually(t, func() bool {
		now := consumerNodes(t, obs, root)
		for name, owner := range now {
			if owner != 0 && owner != before[name] {
				return len(now) == 1
			}
		}
		return false
	}, 10*time.Second, 50*time.Millisecond, "the consumer registers again on a new session")
	require.Eventually(t, func() bool {
		return len(c.stderr.matching("zookeeper session expired; re-registering and re-subscribing")) == 1
	}, 10*time.Second, 50*time.Millisecond, "the registry saw the expiry")

	startProvider(t, reg, "p4")
	windows, ok := c.waitServed("p4", 5*time.Second)
	require.True(t, ok, "a provider added after the expiry gets traffic: the consumer subscribed again")
	t.Logf("p4 served within %v", time.Duration(windows)*consumerWindow)

	total := c.quit()
	summary(t, "session expired", total, "0 failed calls, none for want of a provider; longest stall < 2 s")
	require.Zero(t, total.Fail[protocol.KindNoProvider.String()], "no window of no provider: %q", total.Errs)
	requireStall(t, total)
	require.Zero(t, total.failed(), "no call failed: %v %q", total.Fail, total.Errs)
}

// TestConsumerStartsWhileZooKeeperDown: a consumer started while ZooKeeper
// is down refers the service from the disk snapshot an earlier run left;
// its first call succeeds and no call fails.
func TestConsumerStartsWhileZooKeeperDown(t *testing.T) {
	z := zktest.StartServer(t)
	root := group(t)
	snapshot := filepath.Join(t.TempDir(), "registry.cache")
	for _, name := range []string{"p1", "p2", "p3"} {
		startProvider(t, registryURL(z, root, "&session=10000&timeout=5000&file.cache=false"), name)
	}
	// The consumer waits at most 1 s for a session per registry call.
	reg := registryURL(z, root, "&session=10000&timeout=1000&file="+snapshot)
	first := startConsumer(t, reg, "cluster=failover&retries=2&timeout=2000")
	require.True(t, first.ready.FirstOK, "first run: %q", first.ready.Errs)
	first.run(500 * time.Millisecond)
	require.Zero(t, first.quit().failed())
	_, err := os.Stat(snapshot)
	require.NoError(t, err, "the first run left a snapshot")

	z.Stop()
	c := startConsumer(t, reg, "cluster=failover&retries=2&timeout=2000")
	t.Logf("refer took %.0f ms with ZooKeeper down", c.ready.ReferMs)
	require.True(t, c.ready.FirstOK, "the first call succeeds: %q", c.ready.Errs)
	c.run(2 * time.Second)
	ws := c.windowsFrom(0)
	require.True(t, servedBy(ws, "p1") && servedBy(ws, "p2") && servedBy(ws, "p3"), "every provider of the snapshot serves")
	require.NotEmpty(t, c.stderr.matching("subscribe failed; using the snapshot's lists"), "the snapshot was used")
	total := c.quit()
	summary(t, "consumer started while zookeeper down", total, "first call succeeds; 0 failed calls; longest stall < 2 s")
	require.Zero(t, total.failed(), "no call failed: %v %q", total.Fail, total.Errs)
	requireStall(t, total)
}

// TestGarbageInRegistry: a malformed provider URL, a route:// rule that
// does not parse and an override:// with a bad value are written into
// ZooKeeper under a live service; calls continue without a failure and
// each bad node is logged once, with its reason.
func TestGarbageInRegistry(t *testing.T) {
	z := zktest.StartServer(t)
	root := group(t)
	reg := registryURL(z, root, "&session=4000&timeout=5000&file.cache=false")
	for _, name := range []string{"p1", "p2", "p3"} {
		startProvider(t, reg, name)
	}
	c := startConsumer(t, reg, "cluster=failover&retries=2&timeout=2000")
	c.run(time.Second)

	obs := zkClient(t, z)
	badProvider := "dubbo://127.0.0.1:notaport/" + service + "?interface=" + service
	badRoute := "route://0.0.0.0/" + service + "?category=routers&router=condition&enabled=true&force=true&rule=" +
		url.QueryEscape("host ! 127.0.0.1 => host = 127.0.0.1")
	badOverride := "override://0.0.0.0/" + service + "?category=configurators&enabled=true&timeout=-1"
	base := "/" + root + "/" + service
	for _, n := range []struct{ category, url string }{
		{"providers", badProvider}, {"routers", badRoute}, {"configurators", badOverride},
	} {
		_, err := obs.Create(base+"/"+n.category+"/"+url.QueryEscape(n.url), nil, 0, zk.WorldACL(zk.PermAll))
		require.NoError(t, err, n.category)
	}
	garbage := c.mark()
	c.run(3 * time.Second)
	after := c.windowsFrom(garbage)
	require.True(t, servedBy(after[len(after)-4:], "p1") && servedBy(after[len(after)-4:], "p2") &&
		servedBy(after[len(after)-4:], "p3"), "every provider keeps serving")

	logs := func() map[string][]string {
		return map[string][]string{
			"malformed provider url": c.stderr.matching("skipping a registry node that is not a URL", "notaport"),
			"bad route":              c.stderr.matching("router skipped: rule does not parse", "Illegal route rule"),
			"bad override":           c.stderr.matching("bad URL parameter", "timeout", "not positive"),
		}
	}
	for what, lines := range logs() {
		require.Len(t, lines, 1, "%s logged once with its reason", what)
		t.Logf("%s: %s", what, lines[0])
	}

	// A provider added re-reads the providers' category: the malformed
	// node is not logged again, nor the route. The bad override is logged
	// again for the new provider it reaches (the directory logs a bad
	// value for each URL that arrives with it, see directory/badparams.go).
	startProvider(t, reg, "p4")
	_, ok := c.waitServed("p4", 5*time.Second)
	require.True(t, ok, "a provider added after the garbage gets traffic")
	again := logs()
	require.Len(t, again["malformed provider url"], 1, "the malformed node is not logged again")
	require.Len(t, again["bad route"], 1, "the bad route is not logged again")
	require.Len(t, again["bad override"], 2, "the bad override, once more for the new provider")

	total := c.quit()
	summary(t, "garbage in the registry", total, "0 failed calls; each bad node logged once; longest stall < 2 s")
	require.Zero(t, total.failed(), "no call failed: %v %q", total.Fail, total.Errs)
	requireStall(t, total)
}

// maxStall bounds the longest time no call succeeds in every scenario:
// generous, for a loaded 2-core machine; stalls measure tens of
// milliseconds, a timeout's 250 ms when a provider is frozen.
const maxStall = 2 * time.Second

func requireStall(t *testing.T, r report) {
	t.Helper()
	require.Less(t, r.Stall, float64(maxStall.Milliseconds()), "longest stall (ms)")
}
