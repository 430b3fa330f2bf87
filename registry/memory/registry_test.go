package memory

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/internal/testutil"
	"github.com/fleetrpc/fleet/registry"
)

const svc = "org.apache.dubbo.demo.DemoService"

var ctx = context.Background()

func provider(t *testing.T, port int, extra string) *common.URL {
	t.Helper()
	return common.MustParse(fmt.Sprintf("dubbo://10.0.0.1:%d/%s?interface=%s&side=provider%s", port, svc, svc, extra))
}

func consumer(extra string) *common.URL {
	return common.MustParse("consumer://10.0.0.9/" + svc + "?interface=" + svc + "&category=providers,configurators,routers" + extra)
}

func session(t *testing.T, s *Store) *Registry {
	t.Helper()
	r := s.Registry(common.MustParse("memory://test"))
	t.Cleanup(func() { require.NoError(t, r.Close()) })
	return r
}

// byCategory collects one notification per subscribed category.
func byCategory(t *testing.T, l *testutil.Listener, n int) map[string][]string {
	t.Helper()
	got := map[string][]string{}
	for i := 0; i < n; i++ {
		urls := l.Next(t)
		require.NotEmpty(t, urls, "a notification is never an empty list")
		cat := urls[0].Category()
		_, dup := got[cat]
		require.False(t, dup, "category %s notified twice", cat)
		got[cat] = testutil.Strings(urls)
	}
	return got
}

func TestSubscribeNotifiesEveryCategoryBeforeReturning(t *testing.T) {
	s := NewStore()
	prov := session(t, s)
	p1 := provider(t, 20880, "")
	require.NoError(t, prov.Register(ctx, p1))

	l := testutil.NewListener(10)
	cons := session(t, s)
	require.NoError(t, cons.Subscribe(ctx, consumer(""), l))
	require.Len(t, l.C, 3, "all three categories are notified before Subscribe returns")
	got := byCategory(t, l, 3)
	require.Equal(t, []string{p1.String()}, got["providers"])
	require.Equal(t, []string{"empty://10.0.0.9/" + svc + "?category=configurators&interface=" + svc}, got["configurators"])
	require.Equal(t, []string{"empty://10.0.0.9/" + svc + "?category=routers&interface=" + svc}, got["routers"])
}

func TestNotifyFullListOnChange(t *testing.T) {
	s := NewStore()
	prov := session(t, s)
	l := testutil.NewListener(10)
	require.NoError(t, session(t, s).Subscribe(ctx, consumer("&category=providers"), l))
	require.Equal(t, "empty", l.Next(t)[0].Protocol())

	p1, p2 := provider(t, 1, ""), provider(t, 2, "")
	require.NoError(t, prov.Register(ctx, p1))
	require.Equal(t, []string{p1.String()}, testutil.Strings(l.Next(t)))
	require.NoError(t, prov.Register(ctx, p2))
	require.Equal(t, []string{p1.String(), p2.String()}, testutil.Strings(l.Next(t)), "each notification is the full list")

	require.NoError(t, prov.Register(ctx, p2), "registering twice is a no-op")
	l.None(t)

	require.NoError(t, prov.Unregister(ctx, p1))
	require.Equal(t, []string{p2.String()}, testutil.Strings(l.Next(t)))
	require.NoError(t, prov.Unregister(ctx, p2))
	got := l.Next(t)
	require.Len(t, got, 1)
	require.Equal(t, "empty", got[0].Protocol())
	require.Equal(t, "providers", got[0].Category())
}

func TestOtherCategoriesAndServicesDoNotNotify(t *testing.T) {
	s := NewStore()
	prov := session(t, s)
	l := testutil.NewListener(10)
	require.NoError(t, session(t, s).Subscribe(ctx, consumer("&category=providers"), l))
	l.Next(t)

	require.NoError(t, prov.Register(ctx, common.MustParse("dubbo://10.0.0.1:1/org.Other?interface=org.Other")))
	require.NoError(t, prov.Register(ctx, common.MustParse("override://0.0.0.0/"+svc+"?category=configurators&timeout=5")))
	require.NoError(t, prov.Register(ctx, common.MustParse("consumer://10.0.0.2/"+svc+"?interface="+svc+"&category=consumers")))
	l.None(t)
}

func TestConfiguratorsAndRoutersCategories(t *testing.T) {
	s := NewStore()
	admin := session(t, s)
	l := testutil.NewListener(10)
	require.NoError(t, session(t, s).Subscribe(ctx, consumer(""), l))
	byCategory(t, l, 3)

	override := common.MustParse("override://0.0.0.0/" + svc + "?category=configurators&timeout=5000")
	route := common.MustParse("route://0.0.0.0/" + svc + "?category=routers&router=condition&rule=host%3D1")
	require.NoError(t, admin.Register(ctx, override))
	require.Equal(t, []string{override.String()}, testutil.Strings(l.Next(t)))
	require.NoError(t, admin.Register(ctx, route))
	require.Equal(t, []string{route.String()}, testutil.Strings(l.Next(t)))
	require.NoError(t, admin.Unregister(ctx, override))
	got := l.Next(t)
	require.Equal(t, "empty", got[0].Protocol())
	require.Equal(t, "configurators", got[0].Category())
}

func TestMatchingRules(t *testing.T) {
	tests := []struct {
		name     string
		consumer string
		provider string
		match    bool
	}{
		{"plain", "", "", true},
		{"group absent on both", "", "", true},
		{"provider group, consumer none", "", "&group=g1", false},
		{"provider version, consumer none", "", "&version=1.0.0", false},
		{"same group", "&group=g1", "&group=g1", true},
		{"other group", "&group=g2", "&group=g1", false},
		{"group list", "&group=g2,g1", "&group=g1", true},
		{"group any", "&group=*", "&group=g1", true},
		{"same version", "&version=1.0.0", "&version=1.0.0", true},
		{"other version", "&version=2.0.0", "&version=1.0.0", false},
		{"version any", "&version=*", "&version=1.0.0", true},
		{"disabled provider hidden", "", "&enabled=false", false},
		{"disabled provider seen with enabled=*", "&enabled=*", "&enabled=false", true},
		{"classifier", "&classifier=a", "&classifier=b", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := NewStore()
			p := provider(t, 20880, tt.provider)
			require.NoError(t, session(t, s).Register(ctx, p))
			l := testutil.NewListener(10)
			c := consumer("&category=providers" + tt.consumer)
			r := session(t, s)
			require.NoError(t, r.Subscribe(ctx, c, l))
			got := l.Next(t)
			found, err := r.Lookup(ctx, c)
			require.NoError(t, err)
			if tt.match {
				require.Equal(t, []string{p.String()}, testutil.Strings(got))
				require.Equal(t, []string{p.String()}, testutil.Strings(found))
			} else {
				require.Equal(t, "empty", got[0].Protocol())
				require.Empty(t, found)
			}
		})
	}
}

func TestEnableDisableIsAChange(t *testing.T) {
	s := NewStore()
	prov := session(t, s)
	l := testutil.NewListener(10)
	require.NoError(t, session(t, s).Subscribe(ctx, consumer("&category=providers"), l))
	l.Next(t)
	disabled := provider(t, 1, "&enabled=false")
	require.NoError(t, prov.Register(ctx, disabled))
	l.None(t) // still empty for this consumer: no new list
	enabled := provider(t, 2, "")
	require.NoError(t, prov.Register(ctx, enabled))
	require.Equal(t, []string{enabled.String()}, testutil.Strings(l.Next(t)))
}

func TestSubscribeAnyInterface(t *testing.T) {
	s := NewStore()
	prov := session(t, s)
	a := common.MustParse("dubbo://10.0.0.1:1/org.A?interface=org.A")
	b := common.MustParse("dubbo://10.0.0.1:1/org.B?interface=org.B&group=g&version=1")
	require.NoError(t, prov.Register(ctx, a))

	l := testutil.NewListener(10)
	any := common.MustParse("admin://10.0.0.9/*?interface=*&group=*&version=*&classifier=*&category=providers")
	require.NoError(t, session(t, s).Subscribe(ctx, any, l))
	require.Equal(t, []string{a.String()}, testutil.Strings(l.Next(t)), "only services that exist are notified")
	l.None(t)

	require.NoError(t, prov.Register(ctx, b))
	require.Equal(t, []string{b.String()}, testutil.Strings(l.Next(t)))
	require.NoError(t, prov.Unregister(ctx, a))
	got := l.Next(t)
	require.Len(t, got, 1)
	require.Equal(t, "empty", got[0].Protocol())
	require.Equal(t, "org.A", got[0].ServiceInterface(), "the empty URL names the service that emptied")

	found, err := prov.Lookup(ctx, any)
	require.NoError(t, err)
	require.Equal(t, []string{b.String()}, testutil.Strings(found))
}

func TestUnsubscribeStopsNotifications(t *testing.T) {
	s := NewStore()
	prov := session(t, s)
	l := testutil.NewListener(10)
	r := session(t, s)
	c := consumer("&category=providers")
	require.NoError(t, r.Subscribe(ctx, c, l))
	l.Next(t)
	require.NoError(t, r.Unsubscribe(ctx, c, l))
	require.NoError(t, prov.Register(ctx, provider(t, 1, "")))
	l.None(t)
}

func TestCloseWithdrawsRegistrations(t *testing.T) {
	s := NewStore()
	l := testutil.NewListener(10)
	require.NoError(t, session(t, s).Subscribe(ctx, consumer("&category=providers"), l))
	l.Next(t)

	prov := s.Registry(common.MustParse("memory://test"))
	p := provider(t, 1, "")
	require.NoError(t, prov.Register(ctx, p))
	require.Equal(t, []string{p.String()}, testutil.Strings(l.Next(t)))
	require.NoError(t, prov.Close())
	require.NoError(t, prov.Close(), "Close is idempotent")
	require.Equal(t, "empty", l.Next(t)[0].Protocol())
	require.ErrorIs(t, prov.Register(ctx, p), ErrClosed)
}

func TestUnregisterOnlyOwnURLs(t *testing.T) {
	s := NewStore()
	a, b := session(t, s), session(t, s)
	p := provider(t, 1, "")
	require.NoError(t, a.Register(ctx, p))
	require.NoError(t, b.Unregister(ctx, p), "unregistering a URL another session owns is a no-op")
	found, err := b.Lookup(ctx, consumer("&category=providers"))
	require.NoError(t, err)
	require.Len(t, found, 1)
}

func TestRegisterRefusesURLWithoutInterface(t *testing.T) {
	err := session(t, NewStore()).Register(ctx, common.MustParse("dubbo://10.0.0.1:1"))
	require.ErrorContains(t, err, "no interface")
}

func TestOpenSharesStoreByName(t *testing.T) {
	u := common.MustParse("memory://open-test")
	r1, err := registry.Open(u)
	require.NoError(t, err)
	defer r1.Close()
	r2 := Open(u)
	defer r2.Close()
	other := Open(common.MustParse("memory://another"))
	defer other.Close()

	p := provider(t, 1, "")
	require.NoError(t, r1.Register(ctx, p))
	found, err := r2.Lookup(ctx, consumer("&category=providers"))
	require.NoError(t, err)
	require.Equal(t, []string{p.String()}, testutil.Strings(found))
	found, err = other.Lookup(ctx, consumer("&category=providers"))
	require.NoError(t, err)
	require.Empty(t, found)
}

// lastList keeps the latest providers list a listener saw.
type lastList struct {
	mu   sync.Mutex
	urls []*common.URL
	n    int
}

func (l *lastList) Notify(urls []*common.URL) {
	l.mu.Lock()
	l.urls = urls
	l.n++
	l.mu.Unlock()
}

func TestConcurrentUse(t *testing.T) {
	s := NewStore()
	var listeners []*lastList
	for i := 0; i < 4; i++ {
		l := &lastList{}
		require.NoError(t, session(t, s).Subscribe(ctx, consumer("&category=providers"), l))
		listeners = append(listeners, l)
	}
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			r := s.Registry(common.MustParse("memory://test"))
			for i := 0; i < 50; i++ {
				p := provider(t, w*1000+i, "")
				assert.NoError(t, r.Register(ctx, p))
				if i%2 == 0 {
					assert.NoError(t, r.Unregister(ctx, p))
				}
				_, err := r.Lookup(ctx, consumer(""))
				assert.NoError(t, err)
			}
		}(w)
	}
	wg.Wait()
	// Each writer leaves 25 providers: 200 in all, and every subscriber's
	// last list must say so.
	for _, l := range listeners {
		require.Eventually(t, func() bool {
			l.mu.Lock()
			defer l.mu.Unlock()
			return len(l.urls) == 200
		}, testutil.DefaultTimeout, time.Millisecond)
	}
}
