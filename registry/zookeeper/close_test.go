package zookeeper_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/internal/testutil"
	"github.com/fleetrpc/fleet/registry"
	"github.com/fleetrpc/fleet/registry/zookeeper"
)

// TestCloseLeavesNoGoroutine: a registry that registered, subscribed,
// lived through a session expiry and retried through failback leaves no
// goroutine once closed, and withdraws what it registered.
func TestCloseLeavesNoGoroutine(t *testing.T) {
	zkAddr(t)
	before := goleak.IgnoreCurrent()
	group := root(t)
	g := &gates{}
	zr, err := zookeeper.New(registryURL(t, group, "&check=false&retry.period=100&file.cache=false"), g.dialers()...)
	require.NoError(t, err)
	f := registry.NewFailback(zr)
	p := provider(1, "")
	require.NoError(t, f.Register(ctx, p))
	l := testutil.NewListener(20)
	require.NoError(t, f.Subscribe(ctx, consumerURL(""), l))
	any := common.MustParse("admin://127.0.0.1/*?interface=*&group=*&version=*&category=providers")
	require.NoError(t, f.Subscribe(ctx, any, testutil.NewListener(100)))
	expire(t, g)
	require.Eventually(t, func() bool { return len(l.C) >= 6 }, testutil.DefaultTimeout, tick, "recovered")
	g.SetDown(true)
	require.NoError(t, f.Register(short(t), provider(2, "")), "failed, retried in the background")

	start := time.Now()
	require.NoError(t, f.Close())
	require.NoError(t, f.Close())
	require.Less(t, time.Since(start), 10*time.Second)
	goleak.VerifyNone(t, before)
}

func TestCloseWithdrawsRegistrations(t *testing.T) {
	group := root(t)
	r, err := zookeeper.New(registryURL(t, group, ""))
	require.NoError(t, err)
	l := testutil.NewListener(10)
	c := consumerURL("&category=providers")
	require.NoError(t, open(t, registryURL(t, group, "")).Subscribe(ctx, c, l))
	require.Equal(t, []string{emptyOf(c, "providers")}, testutil.Strings(l.Next(t)))
	p := provider(1, "")
	require.NoError(t, r.Register(ctx, p))
	require.Equal(t, []string{p.String()}, testutil.Strings(l.Next(t)))
	require.NoError(t, r.Close())
	require.Equal(t, []string{emptyOf(c, "providers")}, testutil.Strings(l.Next(t)), "the node is gone at once")
}
