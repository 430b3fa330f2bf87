package zookeeper_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/stretchr/testify/require"

	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/configcenter"
	"github.com/fleetrpc/fleet/configcenter/zookeeper"
	"github.com/fleetrpc/fleet/internal/testutil"
	"github.com/fleetrpc/fleet/internal/zktest"
)

var ctx = context.Background()

// namespace returns a fresh root node name for one test.
func namespace(t *testing.T) string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	name := strings.NewReplacer("/", "-", " ", "-").Replace(t.Name())
	return "fleet-cc-" + name + "-" + hex.EncodeToString(b[:])
}

// centerURL is zookeeper://FLEET_ZK?namespace=<ns>&… with extra params.
func centerURL(t *testing.T, ns, extra string) *common.URL {
	return common.MustParse(fmt.Sprintf("zookeeper://%s?namespace=%s&session=4000&timeout=3000%s", zktest.Addr(t), ns, extra))
}

// open returns a config center closed at cleanup.
func open(t *testing.T, u *common.URL, opts ...zookeeper.Option) *zookeeper.Center {
	t.Helper()
	c, err := zookeeper.New(u, opts...)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, c.Close()) })
	return c
}

// observer is a plain ZooKeeper client; it removes the test's tree at
// cleanup.
func observer(t *testing.T, ns string) *zk.Conn {
	t.Helper()
	c, events, err := zk.Connect([]string{zktest.Addr(t)}, 4*time.Second, zk.WithLogInfo(false), zk.WithLogger(quiet{}))
	require.NoError(t, err)
	t.Cleanup(func() {
		removeTree(c, "/"+ns)
		c.Close()
		for range events {
		}
	})
	timeout := time.After(testutil.DefaultTimeout)
	for {
		select {
		case ev := <-events:
			if ev.State == zk.StateHasSession {
				return c
			}
		case <-timeout:
			t.Fatalf("observer: no session within %v", testutil.DefaultTimeout)
		}
	}
}

func removeTree(c *zk.Conn, p string) {
	children, _, _ := c.Children(p)
	for _, ch := range children {
		removeTree(c, p+"/"+ch)
	}
	_ = c.Delete(p, -1)
}

type quiet struct{}

func (quiet) Printf(string, ...any) {}

// events collects what a watch delivers.
type events struct{ C chan configcenter.Event }

func newEvents() *events { return &events{C: make(chan configcenter.Event, 32)} }

func (e *events) fn(ev configcenter.Event) { e.C <- ev }

func (e *events) next(t *testing.T) configcenter.Event {
	t.Helper()
	select {
	case ev := <-e.C:
		return ev
	case <-time.After(testutil.DefaultTimeout):
		t.Fatal("no event")
		return configcenter.Event{}
	}
}

func (e *events) none(t *testing.T) {
	t.Helper()
	select {
	case ev := <-e.C:
		t.Fatalf("unexpected event %+v", ev)
	case <-time.After(300 * time.Millisecond):
	}
}

// expire ends the session g last saw, as ZooKeeper's timeout would, and
// returns its id.
func expire(t *testing.T, g *zktest.Gate) int64 {
	t.Helper()
	sid, err := g.Expire(zktest.Addr(t))
	require.NoError(t, err)
	return sid
}

var zkWorld = zk.WorldACL(zk.PermAll)
