package registry

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/internal/testutil"
)

var ctx = context.Background()

var errDown = errors.New("fake: registry down")

// fake is a Registry whose operations fail while down. Subscribe notifies
// the lists set with setLists.
type fake struct {
	url *common.URL

	mu         sync.Mutex
	down       bool
	registered map[string]bool
	subscribed map[NotifyListener]*common.URL
	lists      [][]*common.URL
	closed     bool
}

func newFake(raw string) *fake {
	return &fake{url: common.MustParse(raw), registered: map[string]bool{}, subscribed: map[NotifyListener]*common.URL{}}
}

func (f *fake) setDown(d bool) { f.mu.Lock(); f.down = d; f.mu.Unlock() }

func (f *fake) URL() *common.URL { return f.url }

func (f *fake) Register(_ context.Context, u *common.URL) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.down {
		return errDown
	}
	f.registered[u.String()] = true
	return nil
}

func (f *fake) Unregister(_ context.Context, u *common.URL) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.down {
		return errDown
	}
	delete(f.registered, u.String())
	return nil
}

func (f *fake) Subscribe(_ context.Context, u *common.URL, l NotifyListener) error {
	f.mu.Lock()
	if f.down {
		f.mu.Unlock()
		return errDown
	}
	f.subscribed[l] = u
	lists := f.lists
	f.mu.Unlock()
	for _, list := range lists {
		l.Notify(list)
	}
	return nil
}

func (f *fake) Unsubscribe(_ context.Context, _ *common.URL, l NotifyListener) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.down {
		return errDown
	}
	delete(f.subscribed, l)
	return nil
}

func (f *fake) Lookup(context.Context, *common.URL) ([]*common.URL, error) { return nil, nil }

func (f *fake) Close() error { f.mu.Lock(); f.closed = true; f.mu.Unlock(); return nil }

func (f *fake) isRegistered(u *common.URL) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.registered[u.String()]
}

func (f *fake) subscriptions() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.subscribed)
}

// retryNow runs one retry round and waits for it.
func retryNow(t *testing.T, f *FailbackRegistry) {
	t.Helper()
	select {
	case f.retryNow <- struct{}{}:
	case <-time.After(testutil.DefaultTimeout):
		t.Fatal("retry loop not running")
	}
	<-f.retryRan
}

const (
	svc      = "org.apache.dubbo.demo.DemoService"
	provider = "dubbo://10.0.0.1:20880/" + svc + "?interface=" + svc
	consumer = "consumer://10.0.0.9/" + svc + "?interface=" + svc + "&category=providers,configurators,routers"
)

func newFailback(t *testing.T, inner Registry, opts ...Option) *FailbackRegistry {
	t.Helper()
	f := NewFailback(inner, append([]Option{WithRetryPeriod(time.Hour)}, opts...)...)
	t.Cleanup(func() { require.NoError(t, f.Close()) })
	return f
}

func TestFailbackRetriesUntilSuccess(t *testing.T) {
	p := common.MustParse(provider)
	c := common.MustParse(consumer)
	tests := []struct {
		name  string
		op    func(f *FailbackRegistry, l NotifyListener) error
		setup func(inner *fake, f *FailbackRegistry, l NotifyListener) // while up
		done  func(inner *fake) bool
	}{
		{
			name: "register",
			op:   func(f *FailbackRegistry, _ NotifyListener) error { return f.Register(ctx, p) },
			done: func(inner *fake) bool { return inner.isRegistered(p) },
		},
		{
			name: "unregister",
			setup: func(_ *fake, f *FailbackRegistry, _ NotifyListener) {
				require.NoError(t, f.Register(ctx, p))
			},
			op:   func(f *FailbackRegistry, _ NotifyListener) error { return f.Unregister(ctx, p) },
			done: func(inner *fake) bool { return !inner.isRegistered(p) },
		},
		{
			name: "subscribe",
			op:   func(f *FailbackRegistry, l NotifyListener) error { return f.Subscribe(ctx, c, l) },
			done: func(inner *fake) bool { return inner.subscriptions() == 1 },
		},
		{
			name: "unsubscribe",
			setup: func(_ *fake, f *FailbackRegistry, l NotifyListener) {
				require.NoError(t, f.Subscribe(ctx, c, l))
			},
			op:   func(f *FailbackRegistry, l NotifyListener) error { return f.Unsubscribe(ctx, c, l) },
			done: func(inner *fake) bool { return inner.subscriptions() == 0 },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs bytes.Buffer
			inner := newFake("zookeeper://127.0.0.1:2181?check=false&file.cache=false")
			f := newFailback(t, inner, WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
			l := testutil.NewListener(10)
			if tt.setup != nil {
				tt.setup(inner, f, l)
			}
			inner.setDown(true)
			require.NoError(t, tt.op(f, l), "a failure is retried, not returned")
			require.Equal(t, 1, f.Pending())
			require.Contains(t, logs.String(), svc, "the failure is logged with the URL")
			retryNow(t, f)
			require.Equal(t, 1, f.Pending(), "still down")
			inner.setDown(false)
			retryNow(t, f)
			require.Zero(t, f.Pending())
			require.True(t, tt.done(inner))
		})
	}
}

func TestFailbackRetriesOnItsPeriod(t *testing.T) {
	inner := newFake("zookeeper://127.0.0.1:2181?check=false&file.cache=false&retry.period=20")
	f := NewFailback(inner)
	defer f.Close()
	require.Equal(t, 20*time.Millisecond, f.period, "retry.period is milliseconds")
	inner.setDown(true)
	p := common.MustParse(provider)
	require.NoError(t, f.Register(ctx, p))
	inner.setDown(false)
	require.Eventually(t, func() bool { return inner.isRegistered(p) }, testutil.DefaultTimeout, time.Millisecond)
	require.Eventually(t, func() bool { return f.Pending() == 0 }, testutil.DefaultTimeout, time.Millisecond)
	require.Equal(t, DefaultRetryPeriod, NewFailbackPeriod(t, "zookeeper://h:1?file.cache=false"))
}

// NewFailbackPeriod opens and closes a failback registry on raw and
// returns its period.
func NewFailbackPeriod(t *testing.T, raw string) time.Duration {
	f := NewFailback(newFake(raw))
	defer f.Close()
	return f.period
}

func TestFailbackOppositeCallCancels(t *testing.T) {
	inner := newFake("zookeeper://127.0.0.1:2181?check=false&file.cache=false")
	f := newFailback(t, inner)
	p := common.MustParse(provider)
	c := common.MustParse(consumer)
	l := testutil.NewListener(10)
	inner.setDown(true)

	require.NoError(t, f.Register(ctx, p))
	require.NoError(t, f.Subscribe(ctx, c, l))
	require.Equal(t, 2, f.Pending())
	require.NoError(t, f.Unsubscribe(ctx, c, l), "cancels the failed subscribe, then fails itself")
	require.Equal(t, 2, f.Pending())
	require.NoError(t, f.Unregister(ctx, p), "cancels the failed register, then fails itself")
	require.Equal(t, 2, f.Pending())

	inner.setDown(false)
	retryNow(t, f)
	require.Zero(t, f.Pending())
	require.False(t, inner.isRegistered(p), "the cancelled register was not retried")
	require.Zero(t, inner.subscriptions(), "the cancelled subscribe was not retried")
}

func TestFailbackCheck(t *testing.T) {
	inner := newFake("zookeeper://127.0.0.1:2181?file.cache=false") // check defaults to true
	f := newFailback(t, inner)
	inner.setDown(true)
	require.ErrorIs(t, f.Register(ctx, common.MustParse(provider)), errDown)
	require.ErrorIs(t, f.Subscribe(ctx, common.MustParse(consumer), testutil.NewListener(1)), errDown)
	require.Zero(t, f.Pending(), "returned failures are not retried")
	require.NoError(t, f.Register(ctx, common.MustParse("consumer://10.0.0.9/"+svc+"?category=consumers")),
		"a consumer:// register is always retried")
	require.NoError(t, f.Register(ctx, common.MustParse(provider+"&check=false")), "check=false on the URL")
	require.Equal(t, 2, f.Pending())
}

func TestFailbackClosed(t *testing.T) {
	inner := newFake("zookeeper://127.0.0.1:2181?file.cache=false")
	f := NewFailback(inner)
	require.NoError(t, f.Close())
	require.NoError(t, f.Close(), "idempotent")
	require.True(t, inner.closed)
	require.ErrorIs(t, f.Register(ctx, common.MustParse(provider)), ErrClosed)
	require.ErrorIs(t, f.Subscribe(ctx, common.MustParse(consumer), testutil.NewListener(1)), ErrClosed)
}

// TestFailbackSnapshot: the lists notified are kept on disk; a Subscribe
// that fails later delivers them, one list per category.
func TestFailbackSnapshot(t *testing.T) {
	file := filepath.Join(t.TempDir(), "registry.cache")
	raw := "zookeeper://127.0.0.1:2181?retry.period=1h&file=" + file
	c := common.MustParse(consumer)
	p := common.MustParse(provider)
	lists := [][]*common.URL{
		{p},
		{common.MustParse("empty://10.0.0.9/" + svc + "?interface=" + svc + "&category=configurators")},
		{common.MustParse("route://0.0.0.0/" + svc + "?interface=" + svc + "&category=routers&rule=a")},
	}

	up := newFake(raw)
	up.lists = lists
	f := NewFailback(up)
	l := testutil.NewListener(10)
	require.NoError(t, f.Subscribe(ctx, c, l))
	for range lists {
		l.Next(t)
	}
	require.NoError(t, f.Close())

	down := newFake(raw)
	down.setDown(true)
	f2 := newFailback(t, down)
	l2 := testutil.NewListener(10)
	require.NoError(t, f2.Subscribe(ctx, c, l2), "check=true, but the snapshot has the service")
	var got [][]string
	for range lists {
		got = append(got, testutil.Strings(l2.Next(t)))
	}
	require.ElementsMatch(t, [][]string{testutil.Strings(lists[0]), testutil.Strings(lists[1]), testutil.Strings(lists[2])}, got)
	require.Equal(t, 1, f2.Pending(), "and the subscription is retried")

	other := common.MustParse("consumer://10.0.0.9/org.Other?interface=org.Other")
	require.ErrorIs(t, f2.Subscribe(ctx, other, testutil.NewListener(1)), errDown, "nothing cached for another service")
}
