package dubbo

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/internal/testutil"
	"github.com/fleetrpc/fleet/protocol"
)

// TestManyUnreachableProviders is issue 17's first finding: refer 10,000
// providers nobody listens for. Nothing is dialled and no goroutine runs
// until a call picks one; a picked one is dialled once, its failure logged
// once for its backoff window, and its goroutine ends.
func TestManyUnreachableProviders(t *testing.T) {
	var mu sync.Mutex
	dialled := map[string]int{}
	var buf syncBuffer
	client := New(WithLogger(slog.New(slog.NewTextHandler(&buf, nil))),
		WithDialer(func(ctx context.Context, network, address string) (net.Conn, error) {
			mu.Lock()
			dialled[address]++
			mu.Unlock()
			var d net.Dialer
			return d.DialContext(ctx, network, address)
		}))
	t.Cleanup(client.Destroy)

	before := runtime.NumGoroutine()
	const n = 10_000
	invs := make([]protocol.Invoker, n)
	for i := range invs {
		// Port 1 on loopback addresses: refused at once.
		u := common.MustParse(fmt.Sprintf("dubbo://127.0.%d.%d:1/%s?interface=%s", i/250, i%250+1, userService, userService))
		invs[i] = refer(t, client, u)
	}
	require.LessOrEqual(t, runtime.NumGoroutine(), before+2, "no goroutine per referred provider")
	mu.Lock()
	require.Empty(t, dialled, "no connection to providers never picked")
	mu.Unlock()
	for _, inv := range invs[:100] {
		require.True(t, inv.IsAvailable())
	}

	picked := invs[:20]
	for _, inv := range picked {
		require.ErrorIs(t, invoke(inv, "ping", nil).Error(), protocol.ErrNetwork)
	}
	// Again, inside their backoff windows (100 ms at least 80): no dial and
	// no log line more. Which calls are still inside is checked, not
	// assumed.
	inWindow := 0
	for _, inv := range picked {
		cl := clientsOf(inv)[0]
		cl.mu.Lock()
		in := nanotime() < cl.retryAt
		cl.mu.Unlock()
		res := invoke(inv, "ping", nil)
		require.ErrorIs(t, res.Error(), protocol.ErrNetwork)
		if in {
			inWindow++
		}
	}
	mu.Lock()
	total := 0
	for _, c := range dialled {
		total += c
	}
	require.Len(t, dialled, len(picked), "only the picked providers were dialled")
	require.LessOrEqual(t, total, 2*len(picked)-inWindow)
	mu.Unlock()
	// The dialling goroutine logs after it has published the failure, so
	// the last lines may still be on their way.
	require.Eventually(t, func() bool { return strings.Count(buf.String(), `msg="connect failed"`) >= total },
		testutil.DefaultTimeout, 5*time.Millisecond)
	require.Equal(t, total, strings.Count(buf.String(), `msg="connect failed"`), "one log line per failed dial, one dial per window")

	require.Eventually(t, func() bool { return runtime.NumGoroutine() <= before+2 },
		testutil.DefaultTimeout, 5*time.Millisecond, "failed dials leave no goroutine")
	for _, inv := range invs[20:] {
		require.Zero(t, dialledOf(&mu, dialled, inv.URL().Address()))
	}
}

func dialledOf(mu *sync.Mutex, m map[string]int, addr string) int {
	mu.Lock()
	defer mu.Unlock()
	return m[addr]
}

// TestBackoffGrowsPerAddress: consecutive failed dials of one address open
// longer windows, up to the cap.
func TestBackoffGrowsPerAddress(t *testing.T) {
	var dials atomic.Int32
	client := New(WithLogger(quietLogger()), WithDialer(func(ctx context.Context, network, address string) (net.Conn, error) {
		dials.Add(1)
		return nil, fmt.Errorf("unreachable")
	}))
	t.Cleanup(client.Destroy)
	inv := refer(t, client, common.MustParse("dubbo://127.0.0.1:1/"+userService))
	cl := clientsOf(inv)[0]
	var windows []time.Duration
	for range 9 {
		cl.mu.Lock()
		cl.retryAt = 0 // the window is over
		cl.mu.Unlock()
		require.ErrorIs(t, invoke(inv, "ping", nil).Error(), protocol.ErrNetwork)
		cl.mu.Lock()
		windows = append(windows, cl.backoff)
		cl.mu.Unlock()
	}
	require.Equal(t, int32(9), dials.Load())
	require.Equal(t, []time.Duration{minBackoff, 2 * minBackoff, 4 * minBackoff, 8 * minBackoff,
		16 * minBackoff, 32 * minBackoff, 64 * minBackoff, maxBackoff, maxBackoff}, windows)
}
