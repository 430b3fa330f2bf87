package zookeeper_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/configcenter"
	"github.com/fleetrpc/fleet/configcenter/zookeeper"
	"github.com/fleetrpc/fleet/internal/zktest"
)

func TestLayoutPublishGetRemove(t *testing.T) {
	ns := namespace(t)
	obs := observer(t, ns)
	c := open(t, centerURL(t, ns, ""))
	require.Equal(t, "/"+ns+"/config/dubbo/app.configurators", c.Path("app.configurators", ""))
	require.Equal(t, "/"+ns+"/config/g1/k", c.Path("k", "g1"))

	_, err := c.Get(ctx, "app.configurators", "")
	require.ErrorIs(t, err, configcenter.ErrNotFound)

	require.NoError(t, c.Publish(ctx, "app.configurators", "", "configVersion: v2.7"))
	data, _, err := obs.Get("/" + ns + "/config/dubbo/app.configurators")
	require.NoError(t, err)
	require.Equal(t, "configVersion: v2.7", string(data), "dubbo-admin's layout")
	got, err := c.Get(ctx, "app.configurators", "dubbo")
	require.NoError(t, err)
	require.Equal(t, "configVersion: v2.7", got)

	require.NoError(t, c.Publish(ctx, "app.configurators", "", "v2"))
	got, err = c.Get(ctx, "app.configurators", "")
	require.NoError(t, err)
	require.Equal(t, "v2", got)

	require.NoError(t, c.Remove(ctx, "app.configurators", ""))
	require.NoError(t, c.Remove(ctx, "app.configurators", ""), "removing a missing key is no error")
	_, err = c.Get(ctx, "app.configurators", "")
	require.ErrorIs(t, err, configcenter.ErrNotFound)
}

func TestDefaultNamespaceAndOpen(t *testing.T) {
	cc, err := configcenter.Open(common.MustParse("zookeeper://" + zktest.Addr(t) + "?timeout=3000"))
	require.NoError(t, err)
	defer cc.Close()
	require.Equal(t, "/dubbo/config/dubbo/x.condition-router", cc.(*zookeeper.Center).Path("x.condition-router", ""))
	_, err = zookeeper.New(common.MustParse("zookeeper://0.0.0.0:2181"))
	require.Error(t, err)
}

// TestWatchLifecycle writes a key as dubbo-admin would (a plain client) and
// follows it: a missing key, its creation, changes, a rewrite of the same
// content (not delivered again), deletion and re-creation.
func TestWatchLifecycle(t *testing.T) {
	ns := namespace(t)
	obs := observer(t, ns)
	c := open(t, centerURL(t, ns, ""))
	ev := newEvents()
	stop, err := c.Watch("svc.condition-router", "", ev.fn)
	require.NoError(t, err)
	defer stop()
	require.Equal(t, configcenter.Event{Key: "svc.condition-router", Group: "dubbo", Deleted: true}, ev.next(t))

	p := "/" + ns + "/config/dubbo/svc.condition-router"
	for _, d := range []string{"/" + ns, "/" + ns + "/config", "/" + ns + "/config/dubbo"} {
		_, _ = obs.Create(d, nil, 0, zkWorld)
	}
	_, err = obs.Create(p, []byte("rule 1"), 0, zkWorld)
	require.NoError(t, err)
	require.Equal(t, "rule 1", ev.next(t).Content)

	_, err = obs.Set(p, []byte("rule 2"), -1)
	require.NoError(t, err)
	require.Equal(t, "rule 2", ev.next(t).Content)

	_, err = obs.Set(p, []byte("rule 2"), -1)
	require.NoError(t, err)
	ev.none(t)

	require.NoError(t, obs.Delete(p, -1))
	got := ev.next(t)
	require.True(t, got.Deleted)
	require.Empty(t, got.Content)

	require.NoError(t, c.Publish(ctx, "svc.condition-router", "", "rule 3"))
	require.Equal(t, "rule 3", ev.next(t).Content)

	stop()
	stop() // idempotent
	require.NoError(t, c.Publish(ctx, "svc.condition-router", "", "rule 4"))
	ev.none(t)
}

// TestWatchBeforeServerReachable: Watch does not block while ZooKeeper
// cannot be reached; the state arrives once it can.
func TestWatchBeforeServerReachable(t *testing.T) {
	ns := namespace(t)
	observer(t, ns)
	writer := open(t, centerURL(t, ns, ""))
	require.NoError(t, writer.Publish(ctx, "k", "", "before"))

	g := &zktest.Gate{}
	g.SetDown(true)
	c := open(t, centerURL(t, ns, ""), zookeeper.WithDialer(g.Dial))
	ev := newEvents()
	start := time.Now()
	stop, err := c.Watch("k", "", ev.fn)
	require.NoError(t, err)
	defer stop()
	require.Less(t, time.Since(start), time.Second, "Watch does not wait for the server")
	ev.none(t)
	short, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel()
	_, err = c.Get(short, "k", "")
	require.Error(t, err, "Get is bounded by its context")

	g.SetDown(false)
	require.Equal(t, "before", ev.next(t).Content)
}

// TestWatchAcrossConnectionLossAndExpiry: a change made while the center
// is cut off arrives after it reconnects; after its session expires (as a
// server restart without the session would), every key is read and
// watched again.
func TestWatchAcrossConnectionLossAndExpiry(t *testing.T) {
	ns := namespace(t)
	observer(t, ns)
	writer := open(t, centerURL(t, ns, ""))
	g := &zktest.Gate{}
	c := open(t, centerURL(t, ns, ""), zookeeper.WithDialer(g.Dial))
	a, b := newEvents(), newEvents()
	stopA, err := c.Watch("a", "", a.fn)
	require.NoError(t, err)
	defer stopA()
	stopB, err := c.Watch("b", "g2", b.fn)
	require.NoError(t, err)
	defer stopB()
	require.True(t, a.next(t).Deleted)
	require.True(t, b.next(t).Deleted)

	g.SetDown(true)
	require.NoError(t, writer.Publish(ctx, "a", "", "a while down"))
	a.none(t)
	g.SetDown(false)
	require.Equal(t, "a while down", a.next(t).Content)

	expire(t, g)
	require.NoError(t, writer.Publish(ctx, "b", "g2", "b after expiry"))
	require.Equal(t, configcenter.Event{Key: "b", Group: "g2", Content: "b after expiry"}, b.next(t))
	require.NoError(t, writer.Publish(ctx, "a", "", "a after expiry"))
	require.Equal(t, "a after expiry", a.next(t).Content)
	b.none(t)
}

func TestClosed(t *testing.T) {
	ns := namespace(t)
	c, err := zookeeper.New(centerURL(t, ns, ""))
	require.NoError(t, err)
	ev := newEvents()
	_, err = c.Watch("k", "", ev.fn)
	require.NoError(t, err)
	require.True(t, ev.next(t).Deleted)
	require.NoError(t, c.Close())
	require.NoError(t, c.Close())
	_, err = c.Watch("k", "", ev.fn)
	require.True(t, errors.Is(err, configcenter.ErrClosed))
	_, err = c.Get(ctx, "k", "")
	require.ErrorIs(t, err, configcenter.ErrClosed)
}
