package chaos

import (
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/stretchr/testify/require"

	"github.com/fleetrpc/fleet/internal/zktest"
)

// zkClient is a plain ZooKeeper client on z, closed at cleanup, for
// looking at the tree and writing into it.
func zkClient(t *testing.T, z *zktest.Server) *zk.Conn {
	t.Helper()
	c, events, err := zk.Connect([]string{z.Addr()}, 10*time.Second, zk.WithLogInfo(false), zk.WithLogger(quiet{}))
	require.NoError(t, err)
	t.Cleanup(func() {
		c.Close()
		for range events { // wait for the client's goroutines
		}
	})
	timeout := time.After(30 * time.Second)
	for {
		select {
		case ev := <-events:
			if ev.State == zk.StateHasSession {
				return c
			}
		case <-timeout:
			t.Fatal("no ZooKeeper session within 30s")
		}
	}
}

type quiet struct{}

func (quiet) Printf(string, ...any) {}
