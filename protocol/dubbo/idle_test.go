package dubbo

import (
	"context"
	"errors"
	"net"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/protocol"
)

// idleURLs returns n provider URLs of one service, each on its own
// loopback address (as a registry lists them), made before measuring so
// that only what the protocol keeps is counted.
func idleURLs(n int) []*common.URL {
	us := make([]*common.URL, n)
	for i := range us {
		host := "127." + strconv.Itoa(1+i>>16) + "." + strconv.Itoa(i>>8&0xff) + "." + strconv.Itoa(i&0xff)
		us[i] = common.MustParse("dubbo://" + host + ":20880/" + userService + "?interface=" + userService +
			"&version=1.0.0&group=g&application=app&side=provider&methods=getUser,ping&timeout=3000&anyhost=true")
	}
	return us
}

// errNeverDial is the dialer of the idle measurements: it fails the test
// by failing the call if anything dials.
var errNeverDial = errors.New("dialled an idle provider")

// idleHeapPerInvoker refers every URL of us through a fresh Protocol whose
// dialer must never be called, and returns the heap that stays live after a
// GC, per invoker, with the invokers (and the protocol) still referenced.
func idleHeapPerInvoker(tb testing.TB, us []*common.URL) float64 {
	tb.Helper()
	p := New(WithLogger(quietLogger()), WithDialer(func(context.Context, string, string) (net.Conn, error) {
		tb.Error("dialled an idle provider")
		return nil, errNeverDial
	}))
	invs := make([]protocol.Invoker, len(us))
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for i, u := range us {
		inv, err := p.Refer(u)
		require.NoError(tb, err)
		invs[i] = inv
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	for _, inv := range invs {
		require.True(tb, inv.IsAvailable())
	}
	per := float64(int64(after.HeapAlloc)-int64(before.HeapAlloc)) / float64(len(us))
	p.Destroy()
	runtime.KeepAlive(us)
	return per
}

// BenchmarkIdleInvokerHeap reports the heap an idle (referred, never
// called) invoker keeps, 10,000 of them, each on its own address: the
// invoker, its share of the per-service data and the protocol's
// bookkeeping. The slice of invokers (8 B each) is allocated before.
func BenchmarkIdleInvokerHeap(b *testing.B) {
	us := idleURLs(10_000)
	b.ReportAllocs()
	var per float64
	for range b.N {
		per = idleHeapPerInvoker(b, us)
	}
	b.ReportMetric(per, "B/invoker")
}

// clientsOf returns the invoker's clients, linking it (without dialling)
// when it was never used; nil once it is destroyed.
func clientsOf(inv protocol.Invoker) []*client {
	l, err := inv.(*invoker).linked()
	if err != nil {
		return nil
	}
	return l.clients
}

// TestIdleInvokerHeap pins the heap an idle invoker keeps: 54 B measured
// (the invoker 24 B, its entry in the protocol's set, its share of the
// service's data), 783 B before the invoker kept its per-provider state in
// a link made on first use. The bound is twice the measure; the race
// detector does not change it. The least of three measures is taken, so
// that memory another test's goroutines free or take meanwhile cannot fail
// it.
func TestIdleInvokerHeap(t *testing.T) {
	if testing.Short() {
		t.Skip("measures 10,000 invokers")
	}
	us := idleURLs(10_000)
	least := idleHeapPerInvoker(t, us)
	for range 2 {
		least = min(least, idleHeapPerInvoker(t, us))
	}
	t.Logf("%.1f B per idle invoker", least)
	require.Less(t, least, 110.0)
	require.Greater(t, least, 20.0, "an invoker is 24 B: the measure counts nothing")
}

// TestIdleInvokersShareServiceData: invokers of one service share one
// serviceData, others get their own, and the last Destroy of a service
// removes it; Refer and IsAvailable make no link.
func TestIdleInvokersShareServiceData(t *testing.T) {
	p := New(WithLogger(quietLogger()), WithDialer(func(context.Context, string, string) (net.Conn, error) {
		return nil, errNeverDial
	}))
	t.Cleanup(p.Destroy)
	us := idleURLs(3)
	a, b := refer(t, p, us[0]).(*invoker), refer(t, p, us[1]).(*invoker)
	c := refer(t, p, us[2].WithParam("version", "2.0.0")).(*invoker)
	d := refer(t, p, us[2].WithParam("token", "secret")).(*invoker) // the token is per provider: not in the shared data
	require.Same(t, a.svc, b.svc)
	require.Same(t, a.svc, d.svc)
	require.NotSame(t, a.svc, c.svc)
	require.Equal(t, "g/"+userService+":2.0.0", c.svc.serviceKey)
	for _, inv := range []*invoker{a, b, c, d} {
		require.True(t, inv.IsAvailable())
		require.Nil(t, inv.link.Load(), "nothing made before the first call")
	}
	p.mu.Lock()
	require.Len(t, p.services, 2)
	require.Equal(t, 3, a.svc.refs)
	require.Empty(t, p.shared)
	p.mu.Unlock()

	c.Destroy()
	a.Destroy()
	require.False(t, a.IsAvailable())
	require.ErrorIs(t, invoke(a, "ping", nil).Error(), protocol.ErrNetwork)
	p.mu.Lock()
	require.Len(t, p.services, 1)
	require.Equal(t, 2, b.svc.refs)
	p.mu.Unlock()
	b.Destroy()
	d.Destroy()
	p.mu.Lock()
	require.Empty(t, p.services)
	require.Empty(t, p.invokers)
	p.mu.Unlock()
}

// TestIdleInvokerCarriesItsOwnToken: the token, read on first use, is the
// invoker's own even when its service data is shared.
func TestIdleInvokerCarriesItsOwnToken(t *testing.T) {
	p := New(WithLogger(quietLogger()), WithDialer(func(context.Context, string, string) (net.Conn, error) {
		return nil, errNeverDial
	}))
	t.Cleanup(p.Destroy)
	u := idleURLs(1)[0]
	plain, a, b := refer(t, p, u), refer(t, p, u.WithParam("token", "abc")), refer(t, p, u.WithParam("token", "xyz"))
	require.Same(t, plain.(*invoker).svc, a.(*invoker).svc)
	require.Same(t, a.(*invoker).svc, b.(*invoker).svc)
	tokenOf := func(inv protocol.Invoker) any {
		l, err := inv.(*invoker).linked()
		require.NoError(t, err)
		for _, att := range inv.(*invoker).appendAttachments(l, nil, protocol.NewInvocation("ping"), time.Second) {
			if att.Key == "token" {
				return att.Value
			}
		}
		return nil
	}
	require.Nil(t, tokenOf(plain))
	require.Equal(t, "abc", tokenOf(a))
	require.Equal(t, "xyz", tokenOf(b))
}

// TestIdleInvokerAvailabilityFollowsSharedClients: an invoker never used
// shares its address's clients once another invoker made them, so it is
// unavailable while they are inside a backoff window.
func TestIdleInvokerAvailabilityFollowsSharedClients(t *testing.T) {
	var dials atomic.Int32
	p := New(WithLogger(quietLogger()), WithDialer(func(context.Context, string, string) (net.Conn, error) {
		dials.Add(1)
		return nil, errors.New("unreachable")
	}))
	t.Cleanup(p.Destroy)
	u := common.MustParse("dubbo://127.0.0.1:1/" + userService)
	a, b := refer(t, p, u), refer(t, p, u.WithParam("timeout", "2000"))
	other := refer(t, p, common.MustParse("dubbo://127.0.0.2:1/"+userService))
	dedicated := refer(t, p, u.WithParam("connections", "1"))
	require.True(t, b.IsAvailable())

	require.ErrorIs(t, invoke(a, "ping", nil).Error(), protocol.ErrNetwork)
	require.Equal(t, int32(1), dials.Load())
	cl := clientsOf(a)[0]
	cl.mu.Lock()
	cl.retryAt = nanotime() + int64(time.Hour) // inside the window, whatever the load
	cl.mu.Unlock()
	require.False(t, a.IsAvailable())
	require.Nil(t, b.(*invoker).link.Load())
	require.False(t, b.IsAvailable(), "shares a's failing client")
	require.True(t, other.IsAvailable(), "another address")
	require.True(t, dedicated.IsAvailable(), "its own connections")
	require.ErrorIs(t, invoke(b, "ping", nil).Error(), protocol.ErrNetwork)
	require.Same(t, cl, clientsOf(b)[0])
	require.Equal(t, int32(1), dials.Load(), "in the window: no dial")

	// The last sharer gone, the clients go; b's address is idle again.
	a.Destroy()
	b.Destroy()
	p.mu.Lock()
	require.Empty(t, p.shared)
	p.mu.Unlock()
	require.Zero(t, p.nShared.Load())
}

// TestProtocolDestroyEndsIdleInvokers: after the protocol's Destroy an
// invoker never used is unavailable and its calls fail without dialling.
func TestProtocolDestroyEndsIdleInvokers(t *testing.T) {
	var dials atomic.Int32
	p := New(WithLogger(quietLogger()), WithDialer(func(context.Context, string, string) (net.Conn, error) {
		dials.Add(1)
		return nil, errors.New("unreachable")
	}))
	inv, err := p.Refer(common.MustParse("dubbo://127.0.0.1:1/" + userService))
	require.NoError(t, err)
	p.Destroy()
	require.False(t, inv.IsAvailable())
	res := invoke(inv, "ping", nil)
	require.ErrorIs(t, res.Error(), protocol.ErrNetwork)
	require.Contains(t, res.Error().Error(), "invoker destroyed")
	require.Zero(t, dials.Load())
	inv.Destroy() // idempotent
}

// TestFirstCallRacesDestroy: an invoker's first calls and its Destroy run
// at once; whichever wins, nothing is left: no shared clients, no
// goroutine (goleak), no service data.
func TestFirstCallRacesDestroy(t *testing.T) {
	server, client := newProto(t), newProto(t)
	u := provider(t, server, &userImpl{}, "")
	for round := range 30 {
		ref := u
		if round%2 == 1 {
			ref = u.WithParam("connections", "2")
		}
		inv, err := client.Refer(ref)
		require.NoError(t, err)
		var wg sync.WaitGroup
		for range 3 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := invoke(inv, "ping", nil).Error(); err != nil {
					require.ErrorIs(t, err, protocol.ErrNetwork)
				}
			}()
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			inv.Destroy()
		}()
		wg.Wait()
		require.False(t, inv.IsAvailable())
		client.mu.Lock()
		require.Empty(t, client.shared)
		require.Empty(t, client.services)
		require.Empty(t, client.invokers)
		client.mu.Unlock()
	}
}
