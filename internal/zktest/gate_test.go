package zktest_test

import (
	"os"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/stretchr/testify/require"

	"github.com/fleetrpc/fleet/internal/zktest"
)

// TestGateAndExpire against a real ZooKeeper: the gate sees the session,
// cuts the client off and lets it back; Expire ends the session, which
// the client then learns.
func TestGateAndExpire(t *testing.T) {
	addr := os.Getenv("FLEET_ZK")
	if addr == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("FLEET_ZK is not set but CI is")
		}
		t.Skip("FLEET_ZK is not set")
	}
	g := &zktest.Gate{}
	_, err := g.Expire(addr)
	require.Error(t, err, "no session yet")

	states := make(chan zk.State, 64)
	conn, _, err := zk.Connect([]string{addr}, 4*time.Second, zk.WithDialer(g.Dial), zk.WithLogInfo(false),
		zk.WithEventCallback(func(ev zk.Event) {
			if ev.Type == zk.EventSession {
				select {
				case states <- ev.State:
				default:
				}
			}
		}))
	require.NoError(t, err)
	defer conn.Close()
	until := func(want zk.State) {
		t.Helper()
		deadline := time.After(10 * time.Second)
		for {
			select {
			case s := <-states:
				if s == want {
					return
				}
			case <-deadline:
				t.Fatalf("no state %v", want)
			}
		}
	}
	until(zk.StateHasSession)
	sid, _ := g.Session()
	require.Equal(t, conn.SessionID(), sid)

	g.SetDown(true)
	until(zk.StateDisconnected)
	g.SetDown(false)
	until(zk.StateHasSession)

	expired, err := g.Expire(addr)
	require.NoError(t, err)
	require.Equal(t, sid, expired)
	until(zk.StateExpired)
	until(zk.StateHasSession) // the client starts a new session
	require.NotEqual(t, sid, conn.SessionID())
}
