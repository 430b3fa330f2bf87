package zookeeper_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/internal/testutil"
)

const tick = 10 * time.Millisecond

// TestProviderSessionDies: when a provider's session ends, its ephemeral
// node vanishes and consumers are notified; when it comes back, it
// registers again on its new session.
func TestProviderSessionDies(t *testing.T) {
	group := root(t)
	g := &gates{}
	prov := open(t, registryURL(t, group, ""), g.dialers()...)
	cons := open(t, registryURL(t, group, ""))
	p := provider(1, "")
	require.NoError(t, prov.Register(ctx, p))
	l := testutil.NewListener(20)
	c := consumerURL("&category=providers")
	require.NoError(t, cons.Subscribe(ctx, c, l))
	require.Equal(t, []string{p.String()}, testutil.Strings(l.Next(t)))

	g.SetDown(true)
	expire(t, g)
	require.Equal(t, []string{emptyOf(c, "providers")}, testutil.Strings(l.Next(t)), "the provider's node died with its session")

	g.SetDown(false)
	require.Equal(t, []string{p.String()}, testutil.Strings(l.Next(t)), "the provider registered again on a new session")
}

// TestConsumerSessionExpires: a consumer whose session expires keeps its
// lists, then re-registers, re-subscribes and is notified of the current
// lists, and its new watches work.
func TestConsumerSessionExpires(t *testing.T) { inModes(t, testConsumerSessionExpires) }

func testConsumerSessionExpires(t *testing.T, mode string) {
	tests := []struct {
		name string
		cut  bool // cut off while the session expires (else expired while connected)
	}{
		{"expired while cut off", true},
		{"expired while connected", false},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			group := root(t)
			g := &gates{}
			prov := open(t, registryURL(t, group, mode+""))
			cons := open(t, registryURL(t, group, mode+""), g.dialers()...)
			obs := observer(t)

			p1, p2, p3 := provider(1, ""), provider(2, ""), provider(3, "")
			require.NoError(t, prov.Register(ctx, p1))
			me := common.MustParse("consumer://127.0.0.1/" + svc + "?interface=" + svc + "&category=consumers&check=false&application=c")
			require.NoError(t, cons.Register(ctx, me))
			myNode := "/" + group + "/" + svc + "/consumers/" + me.Encoded()
			rec := &recorder{}
			require.NoError(t, cons.Subscribe(ctx, consumerURL(""), rec))
			require.Equal(t, 3, rec.count())
			require.Equal(t, []string{p1.String()}, rec.last("providers"))

			if tt.cut {
				g.SetDown(true)
			}
			old := expire(t, g)
			require.NoError(t, prov.Register(ctx, p2), "a change the consumer cannot see while its session is gone")
			if tt.cut {
				require.Equal(t, []string{p1.String()}, rec.last("providers"), "the last list is kept while cut off")
				g.SetDown(false)
			}

			require.Eventually(t, func() bool {
				got := rec.last("providers")
				return len(got) == 2 && got[0] == p1.String() && got[1] == p2.String()
			}, testutil.DefaultTimeout, tick, "the current list is notified after recovery")
			require.Eventually(t, func() bool {
				ok, st, err := obs.Exists(myNode)
				return err == nil && ok && st.EphemeralOwner != 0 && st.EphemeralOwner != old
			}, testutil.DefaultTimeout, tick, "the consumer's node is registered again on the new session")
			require.Eventually(t, func() bool { return rec.count() >= 6 }, testutil.DefaultTimeout, tick,
				"every category is notified again after recovery")

			require.NoError(t, prov.Register(ctx, p3))
			require.Eventually(t, func() bool { return len(rec.last("providers")) == 3 }, testutil.DefaultTimeout, tick,
				"the watches of the new session work")
			require.False(t, rec.sawEmpty("providers", 0), "never an empty provider list (%d)", i)
		})
	}
}

// TestConnectionLossKeepsSession: a short loss keeps the session; changes
// made meanwhile are notified once the connection is back.
func TestConnectionLossKeepsSession(t *testing.T) { inModes(t, testConnectionLossKeepsSession) }

func testConnectionLossKeepsSession(t *testing.T, mode string) {
	group := root(t)
	g := &gates{}
	prov := open(t, registryURL(t, group, mode+""))
	cons := open(t, registryURL(t, group, mode+""), g.dialers()...)
	p1, p2 := provider(1, ""), provider(2, "")
	require.NoError(t, prov.Register(ctx, p1))
	rec := &recorder{}
	require.NoError(t, cons.Subscribe(ctx, consumerURL("&category=providers"), rec))
	sid, _ := g.Session()

	g.SetDown(true)
	require.NoError(t, prov.Register(ctx, p2))
	g.SetDown(false)
	require.Eventually(t, func() bool { return len(rec.last("providers")) == 2 }, testutil.DefaultTimeout, tick)
	now, _ := g.Session()
	require.Equal(t, sid, now, "the same session")
	require.False(t, rec.sawEmpty("providers", 0))
}
