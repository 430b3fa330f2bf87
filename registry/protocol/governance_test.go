package protocol

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/stretchr/testify/require"

	_ "github.com/fleetrpc/fleet/cluster/loadbalance" // random
	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/configcenter"
	zkcc "github.com/fleetrpc/fleet/configcenter/zookeeper"
	"github.com/fleetrpc/fleet/internal/testutil"
	"github.com/fleetrpc/fleet/internal/zktest"
	rpc "github.com/fleetrpc/fleet/protocol"
	"github.com/fleetrpc/fleet/protocol/injvm"
	"github.com/fleetrpc/fleet/protocol/service"
)

// admin writes rules into ZooKeeper as dubbo-admin does: the node
// /<ns>/config/dubbo/<key>, its data the rule; it removes the test's tree
// at cleanup.
type admin struct {
	t    *testing.T
	ns   string
	conn *zk.Conn
}

func newAdmin(t *testing.T) *admin {
	t.Helper()
	var b [4]byte
	_, _ = rand.Read(b[:])
	ns := "fleet-gov-" + strings.NewReplacer("/", "-").Replace(t.Name()) + "-" + hex.EncodeToString(b[:])
	c, events, err := zk.Connect([]string{zktest.Addr(t)}, 4*time.Second, zk.WithLogInfo(false), zk.WithLogger(silent{}))
	require.NoError(t, err)
	a := &admin{t: t, ns: ns, conn: c}
	t.Cleanup(func() {
		a.removeTree("/" + ns)
		c.Close()
		for range events {
		}
	})
	for _, p := range []string{"/" + ns, "/" + ns + "/config", "/" + ns + "/config/dubbo"} {
		for i := 0; ; i++ {
			_, err := c.Create(p, nil, 0, zk.WorldACL(zk.PermAll))
			if err == nil || err == zk.ErrNodeExists {
				break
			}
			require.Less(t, i, 50, "create %s: %v", p, err)
			time.Sleep(100 * time.Millisecond)
		}
	}
	return a
}

func (a *admin) removeTree(p string) {
	children, _, _ := a.conn.Children(p)
	for _, ch := range children {
		a.removeTree(p + "/" + ch)
	}
	_ = a.conn.Delete(p, -1)
}

func (a *admin) path(key string) string { return "/" + a.ns + "/config/dubbo/" + key }

func (a *admin) put(key, rule string) {
	a.t.Helper()
	_, err := a.conn.Set(a.path(key), []byte(rule), -1)
	if err == zk.ErrNoNode {
		_, err = a.conn.Create(a.path(key), []byte(rule), 0, zk.WorldACL(zk.PermAll))
	}
	require.NoError(a.t, err)
}

func (a *admin) rm(key string) {
	a.t.Helper()
	require.NoError(a.t, a.conn.Delete(a.path(key), -1))
}

// centerURL is the config center of the admin's tree.
func (a *admin) centerURL() *common.URL {
	return common.MustParse(fmt.Sprintf("zookeeper://%s?namespace=%s&session=4000&timeout=3000", zktest.Addr(a.t), a.ns))
}

type silent struct{}

func (silent) Printf(string, ...any) {}

// logBuffer collects log lines.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// governed sets up two injvm providers (p1, p2 of application
// demo-provider) in a memory registry and a consumer Protocol reading
// rules from the admin's config center; it returns the reference.
func governed(t *testing.T, a *admin, logs *logBuffer, opts ...Option) rpc.Invoker {
	t.Helper()
	store := "gov-" + t.Name()
	jvm := injvm.New()
	t.Cleanup(jvm.Destroy)
	providers := New(WithProtocol(injvm.Name, jvm), WithLogger(quiet))
	t.Cleanup(providers.Destroy)
	for port := 1; port <= 2; port++ {
		u := providerURL(port, map[string]string{common.ApplicationKey: "demo-provider"})
		svc, err := service.New(u, &greeter{name: fmt.Sprintf("p%d", port)})
		require.NoError(t, err)
		_, err = providers.Export(ctx, common.MustParse("memory://"+store+"?export="+u.Encoded()), svc)
		require.NoError(t, err)
	}
	logger := quiet
	if logs != nil {
		logger = slog.New(slog.NewTextHandler(logs, nil))
	}
	consumers := New(append([]Option{WithProtocol(injvm.Name, jvm), WithLogger(logger), WithConfigCenterURL(a.centerURL())}, opts...)...)
	t.Cleanup(consumers.Destroy)
	ref, err := consumers.Refer(ctx, referURL(store, map[string]string{
		common.InterfaceKey: iface, common.ApplicationKey: "demo-consumer", common.MethodsKey: "sayHello", common.SideKey: common.ConsumerSide,
	}))
	require.NoError(t, err)
	t.Cleanup(ref.Destroy)
	return ref
}

// onlyFrom waits until 20 calls in a row are answered by want alone.
func onlyFrom(t *testing.T, ref rpc.Invoker, want ...string) {
	t.Helper()
	require.Eventually(t, func() bool {
		got := answerers(t, ref, 20)
		for _, w := range want {
			delete(got, w)
		}
		return len(got) == 0
	}, testutil.DefaultTimeout, 20*time.Millisecond, "only %v should answer", want)
}

// bothAnswer waits until both providers answer within 40 calls.
func bothAnswer(t *testing.T, ref rpc.Invoker) {
	t.Helper()
	require.Eventually(t, func() bool {
		got := answerers(t, ref, 40)
		return got["p1"] > 0 && got["p2"] > 0
	}, testutil.DefaultTimeout, 20*time.Millisecond, "both providers should answer")
}

const serviceConditionKey = iface + "::" + ConditionRouterSuffix

// TestConditionRuleFromConfigCenter writes a condition rule as dubbo-admin
// does and watches the calls move; a rule that does not parse changes
// nothing and says why; deleting the key brings the calls back.
func TestConditionRuleFromConfigCenter(t *testing.T) {
	a := newAdmin(t)
	logs := &logBuffer{}
	ref := governed(t, a, logs)
	bothAnswer(t, ref)

	a.put(serviceConditionKey, `configVersion: v2.7
scope: service
key: `+iface+`
force: true
conditions:
  - "=> port = 2"
`)
	onlyFrom(t, ref, "p2")

	a.put(serviceConditionKey, "conditions: [\"=> host == 1.1.1.1\"]\nforce: true\n")
	require.Eventually(t, func() bool {
		return strings.Contains(logs.String(), "governance rule rejected")
	}, testutil.DefaultTimeout, 20*time.Millisecond)
	line := logs.String()[strings.Index(logs.String(), "governance rule rejected"):]
	line = line[:strings.IndexByte(line, '\n')]
	require.Contains(t, line, "key="+serviceConditionKey)
	require.Contains(t, line, "Illegal route rule")
	onlyFrom(t, ref, "p2") // the previous rule stays in force

	a.put(serviceConditionKey, "{{{ not yaml")
	require.Eventually(t, func() bool {
		return strings.Count(logs.String(), "governance rule rejected") >= 2
	}, testutil.DefaultTimeout, 20*time.Millisecond)
	onlyFrom(t, ref, "p2")

	a.rm(serviceConditionKey)
	bothAnswer(t, ref)

	// The application's rule (<consumer app>.condition-router) works too,
	// and so does the bare interface key older dubbo-admins write.
	a.put("demo-consumer"+ConditionRouterSuffix, "scope: application\nkey: demo-consumer\nforce: true\nconditions: [\"=> port = 1\"]\n")
	onlyFrom(t, ref, "p1")
	a.rm("demo-consumer" + ConditionRouterSuffix)
	bothAnswer(t, ref)
	a.put(iface+ConditionRouterSuffix, "force: true\nconditions: [\"method = sayHello => port = 2\"]\n")
	onlyFrom(t, ref, "p2")
	a.rm(iface + ConditionRouterSuffix)
	bothAnswer(t, ref)

	// The providers' application's rule (Dubbo 3.2+, priority 145).
	a.put("demo-provider"+ConditionRouterSuffix, "configVersion: v3.0\nscope: application\nkey: demo-provider\nforce: true\nconditions: [\"=> port = 1\"]\n")
	onlyFrom(t, ref, "p1")
	a.rm("demo-provider" + ConditionRouterSuffix)
	bothAnswer(t, ref)
}

// TestWeightOverrideFromConfigCenter: a configurator rule raising one
// provider's weight shifts its share of 1,000 calls; deleting it reverts.
func TestWeightOverrideFromConfigCenter(t *testing.T) {
	a := newAdmin(t)
	ref := governed(t, a, nil)
	bothAnswer(t, ref)
	before := answerers(t, ref, 1000)
	require.InDelta(t, 500, before["p2"], 150, "equal weights: %v", before)

	a.put(iface+"::"+ConfiguratorsSuffix, `configVersion: v2.7
scope: service
key: `+iface+`
configs:
  - side: consumer
    providerAddresses: ["127.0.0.1:2"]
    parameters:
      weight: 900
`)
	var after map[string]int
	require.Eventually(t, func() bool {
		after = answerers(t, ref, 1000)
		return after["p2"] > 800
	}, testutil.DefaultTimeout, 20*time.Millisecond, "weight 900 against 100: p2 should take about 90%%")
	require.Greater(t, after["p1"], 20, "p1 keeps a share: %v", after)

	a.rm(iface + "::" + ConfiguratorsSuffix)
	require.Eventually(t, func() bool {
		got := answerers(t, ref, 1000)
		return got["p2"] > 350 && got["p2"] < 650
	}, testutil.DefaultTimeout, 20*time.Millisecond, "back to equal weights")
}

// TestAppConfiguratorDisablesProvider: an application-scope rule from
// <consumer app>.configurators disables a provider for this consumer.
func TestAppConfiguratorDisablesProvider(t *testing.T) {
	a := newAdmin(t)
	ref := governed(t, a, nil)
	bothAnswer(t, ref)
	a.put("demo-consumer"+ConfiguratorsSuffix, `configVersion: v2.7
scope: application
key: demo-consumer
configs:
  - side: consumer
    providerAddresses: ["127.0.0.1:1"]
    parameters: {disabled: true}
`)
	onlyFrom(t, ref, "p2")
	a.rm("demo-consumer" + ConfiguratorsSuffix)
	bothAnswer(t, ref)
}

// TestTagRuleFromConfigCenter: the providers' application's tag rule tags
// p2 gray; a gray call reaches it, an untagged one the other.
func TestTagRuleFromConfigCenter(t *testing.T) {
	a := newAdmin(t)
	ref := governed(t, a, nil)
	a.put("demo-provider"+TagRouterSuffix, "force: true\nenabled: true\nkey: demo-provider\ntags:\n  - name: gray\n    addresses: [\"127.0.0.1:2\"]\n")
	require.Eventually(t, func() bool {
		for i := 0; i < 20; i++ {
			res := ref.Invoke(ctx, rpc.NewInvocation("sayHello", "bob").WithAttachment(common.TagKey, "gray"))
			if res.Error() != nil || res.Value() != "p2: hello bob" {
				return false
			}
		}
		return true
	}, testutil.DefaultTimeout, 20*time.Millisecond)
	onlyFrom(t, ref, "p1") // untagged calls avoid the tagged provider
	a.rm("demo-provider" + TagRouterSuffix)
	bothAnswer(t, ref)
}

// TestConfigCenterDownAtRefer: Refer does not wait for a config center it
// cannot reach longer than the rule wait; its rules apply once it answers.
func TestConfigCenterDownAtRefer(t *testing.T) {
	a := newAdmin(t)
	a.put(serviceConditionKey, "force: true\nconditions: [\"=> port = 1\"]\n")
	g := &cutDialer{down: true}
	cc, err := zkcc.New(a.centerURL(), zkcc.WithDialer(g.dial), zkcc.WithLogger(quiet))
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, cc.Close()) })
	start := time.Now()
	ref := governed(t, a, nil, WithConfigCenter(cc), WithRuleWait(300*time.Millisecond))
	require.Less(t, time.Since(start), 3*time.Second)
	bothAnswer(t, ref)
	g.set(false)
	onlyFrom(t, ref, "p1")
}

// TestNoConfigCenterForMemoryRegistry: a memory registry has no config
// center of its scheme, so none is opened.
func TestNoConfigCenterForMemoryRegistry(t *testing.T) {
	p := New(WithLogger(quiet))
	defer p.Destroy()
	require.Nil(t, p.configCenter(common.MustParse("memory://x")))
	require.Contains(t, configcenter.Schemes(), "zookeeper")
	p2 := New(WithLogger(quiet), WithoutConfigCenter())
	defer p2.Destroy()
	require.Nil(t, p2.configCenter(common.MustParse("zookeeper://127.0.0.1:2181")))
}

// cutDialer refuses to dial while down.
type cutDialer struct {
	mu   sync.Mutex
	down bool
}

func (c *cutDialer) set(down bool) {
	c.mu.Lock()
	c.down = down
	c.mu.Unlock()
}

func (c *cutDialer) dial(network, address string, timeout time.Duration) (net.Conn, error) {
	c.mu.Lock()
	down := c.down
	c.mu.Unlock()
	if down {
		return nil, fmt.Errorf("cut")
	}
	return net.DialTimeout(network, address, timeout)
}

// TestSlowConfigCenterWaitedOnce: a config center that did not answer one
// Refer's rule wait is not waited for by the next Refer; once it answers,
// both references get its rules.
func TestSlowConfigCenterWaitedOnce(t *testing.T) {
	a := newAdmin(t)
	a.put(serviceConditionKey, "force: true\nconditions: [\"=> port = 2\"]\n")
	g := &cutDialer{down: true}
	cc, err := zkcc.New(a.centerURL(), zkcc.WithDialer(g.dial), zkcc.WithLogger(quiet))
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, cc.Close()) })

	store := "gov-" + t.Name()
	jvm := injvm.New()
	t.Cleanup(jvm.Destroy)
	providers := New(WithProtocol(injvm.Name, jvm), WithLogger(quiet))
	t.Cleanup(providers.Destroy)
	for port := 1; port <= 2; port++ {
		u := providerURL(port, nil)
		svc, err := service.New(u, &greeter{name: fmt.Sprintf("p%d", port)})
		require.NoError(t, err)
		_, err = providers.Export(ctx, common.MustParse("memory://"+store+"?export="+u.Encoded()), svc)
		require.NoError(t, err)
	}
	const wait = 1500 * time.Millisecond
	consumers := New(WithProtocol(injvm.Name, jvm), WithLogger(quiet), WithConfigCenter(cc), WithRuleWait(wait))
	t.Cleanup(consumers.Destroy)
	refer := func(app string) (rpc.Invoker, time.Duration) {
		start := time.Now()
		ref, err := consumers.Refer(ctx, referURL(store, map[string]string{
			common.InterfaceKey: iface, common.ApplicationKey: app, common.MethodsKey: "sayHello", common.SideKey: common.ConsumerSide,
		}))
		require.NoError(t, err)
		t.Cleanup(ref.Destroy)
		return ref, time.Since(start)
	}
	first, took := refer("app1")
	require.GreaterOrEqual(t, took, wait, "the first Refer waits for the rules")
	second, took := refer("app2")
	require.Less(t, took, wait/2, "a center that did not answer is not waited for again")
	bothAnswer(t, second)

	g.set(false)
	onlyFrom(t, first, "p2")
	onlyFrom(t, second, "p2")
	require.False(t, consumers.healthOf(cc).slow.Load(), "answering clears the record")
}
