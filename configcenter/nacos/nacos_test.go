package nacos_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/configcenter"
	"github.com/fleetrpc/fleet/configcenter/nacos"
	"github.com/fleetrpc/fleet/internal/nacos/nacostest"
	"github.com/fleetrpc/fleet/internal/testutil"
)

var ctx = context.Background()

func open(t *testing.T, addr string) *nacos.Center {
	t.Helper()
	c, err := nacos.New(common.MustParse("nacos://" + addr + "?namespace=" + nacostest.Unique(t)))
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, c.Close()) })
	return c
}

// publish and remove retry for a while: a loaded server may answer a
// write after the SDK's request deadline (the write may have landed).
func publish(t *testing.T, c *nacos.Center, key, content string) {
	t.Helper()
	require.Eventually(t, func() bool { return c.Publish(ctx, key, "", content) == nil },
		3*testutil.DefaultTimeout, 200*time.Millisecond, "publish %s", key)
}

func remove(t *testing.T, c *nacos.Center, key string) {
	t.Helper()
	require.Eventually(t, func() bool { return c.Remove(ctx, key, "") == nil },
		3*testutil.DefaultTimeout, 200*time.Millisecond, "remove %s", key)
}

type events struct{ C chan configcenter.Event }

func newEvents() *events { return &events{C: make(chan configcenter.Event, 32)} }

func (e *events) fn(ev configcenter.Event) { e.C <- ev }

func (e *events) next(t *testing.T) configcenter.Event {
	t.Helper()
	select {
	case ev := <-e.C:
		return ev
	case <-time.After(3 * testutil.DefaultTimeout):
		t.Fatal("no event")
		return configcenter.Event{}
	}
}

func TestPublishGetRemove(t *testing.T) {
	c := open(t, nacostest.Addr(t))
	require.Eventually(t, func() bool {
		_, err := c.Get(ctx, "app.configurators", "")
		return errors.Is(err, configcenter.ErrNotFound)
	}, 3*testutil.DefaultTimeout, 200*time.Millisecond)
	publish(t, c, "app.configurators", "configVersion: v3.0")
	require.Eventually(t, func() bool {
		got, err := c.Get(ctx, "app.configurators", "dubbo")
		return err == nil && got == "configVersion: v3.0"
	}, testutil.DefaultTimeout, 100*time.Millisecond)
	remove(t, c, "app.configurators")
	require.Eventually(t, func() bool {
		_, err := c.Get(ctx, "app.configurators", "")
		return err != nil
	}, testutil.DefaultTimeout, 100*time.Millisecond)
}

// TestWatch: a key missing at first, created, changed, deleted and
// created again, each state delivered once, in order; a second watch of
// the same key sees the same; a stopped watch sees nothing more.
func TestWatch(t *testing.T) {
	c := open(t, nacostest.Addr(t))
	a, b := newEvents(), newEvents()
	stopA, err := c.Watch("svc.condition-router", "", a.fn)
	require.NoError(t, err)
	require.Equal(t, configcenter.Event{Key: "svc.condition-router", Group: "dubbo", Deleted: true}, a.next(t))
	stopB, err := c.Watch("svc.condition-router", "", b.fn)
	require.NoError(t, err)
	defer stopB()
	require.True(t, b.next(t).Deleted)

	publish(t, c, "svc.condition-router", "rule 1")
	require.Equal(t, "rule 1", a.next(t).Content)
	require.Equal(t, "rule 1", b.next(t).Content)
	publish(t, c, "svc.condition-router", "rule 2")
	require.Equal(t, "rule 2", a.next(t).Content)
	remove(t, c, "svc.condition-router")
	require.True(t, a.next(t).Deleted)
	stopA()
	stopA()
	publish(t, c, "svc.condition-router", "rule 3")
	for ev := b.next(t); ev.Content != "rule 3"; ev = b.next(t) {
	}
	select {
	case ev := <-a.C:
		t.Fatalf("stopped watch got %+v", ev)
	default:
	}
}

// TestWatchWhileServerDown: a watch set up while the server is down does
// not block and gets the key once the server is up, then its changes.
// (A restart of a server the SDK's config client was connected to is not
// tested here: the SDK's reconnection races in nacos-sdk-go v2.2.2,
// rpc_client.go reconnect against Request, and -race reports it.)
func TestWatchWhileServerDown(t *testing.T) {
	p := nacostest.StartPolaris(t)
	p.Stop()
	c := open(t, p.Addr())
	ev := newEvents()
	start := time.Now()
	stop, err := c.Watch("app.tag-router", "", ev.fn)
	require.NoError(t, err)
	defer stop()
	require.Less(t, time.Since(start), time.Second, "Watch does not wait for the server")

	p.Start()
	require.True(t, ev.next(t).Deleted)
	publish(t, c, "app.tag-router", "published")
	require.Equal(t, "published", ev.next(t).Content)
	remove(t, c, "app.tag-router")
	require.True(t, ev.next(t).Deleted, "a deletion arrives once two reads agree")
}
