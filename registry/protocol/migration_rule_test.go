package protocol

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/configcenter"
	"github.com/fleetrpc/fleet/registry/migration"
)

// memCenter is an in-process config center: each watch delivers its
// states in order on a goroutine of its own, as the real ones do.
type memCenter struct {
	mu      sync.Mutex
	data    map[string]string
	watches map[string][]*memWatch
}

type memWatch struct {
	mu      sync.Mutex // guards stopped, and sends on ch
	ch      chan configcenter.Event
	done    chan struct{}
	stopped bool
}

func newMemCenter() *memCenter {
	return &memCenter{data: map[string]string{}, watches: map[string][]*memWatch{}}
}

func (c *memCenter) URL() *common.URL { return common.MustParse("mem://center") }

func (c *memCenter) Get(_ context.Context, key, group string) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok := c.data[group+"/"+key]
	if !ok {
		return "", configcenter.ErrNotFound
	}
	return v, nil
}

func (c *memCenter) Watch(key, group string, fn func(configcenter.Event)) (func(), error) {
	w := &memWatch{ch: make(chan configcenter.Event, 64), done: make(chan struct{})}
	go func() {
		defer close(w.done)
		for ev := range w.ch {
			fn(ev)
		}
	}()
	c.mu.Lock()
	k := group + "/" + key
	c.watches[k] = append(c.watches[k], w)
	v, ok := c.data[k]
	w.deliver(configcenter.Event{Key: key, Group: group, Content: v, Deleted: !ok}) // under c.mu: before any change
	c.mu.Unlock()
	return func() {
		w.mu.Lock()
		if !w.stopped {
			w.stopped = true
			close(w.ch)
		}
		w.mu.Unlock()
		<-w.done
	}, nil
}

func (w *memWatch) deliver(ev configcenter.Event) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.stopped {
		w.ch <- ev
	}
}

func (c *memCenter) set(key, group, content string, deleted bool) {
	k := group + "/" + key
	c.mu.Lock()
	if deleted {
		delete(c.data, k)
	} else {
		c.data[k] = content
	}
	for _, w := range c.watches[k] { // under c.mu: in the order of the changes
		w.deliver(configcenter.Event{Key: key, Group: group, Content: content, Deleted: deleted})
	}
	c.mu.Unlock()
}

func (c *memCenter) Publish(_ context.Context, key, group, content string) error {
	c.set(key, group, content, false)
	return nil
}

func (c *memCenter) Remove(_ context.Context, key, group string) error {
	c.set(key, group, "", true)
	return nil
}

func (c *memCenter) Close() error { return nil }

// TestMigrationRuleHandling: a rule's changes reach the reference; a
// forced step the comparator refuses leaves the step as it was (and the
// side it referred for the attempt is released), unless the rule forces
// it; a bad rule changes nothing; the proportion changes live.
func TestMigrationRuleHandling(t *testing.T) {
	l := newLevels(t)
	l.export(t, "iface", 1, false)
	cc := newMemCenter()
	logs := &logBuffer{}
	p := New(WithProtocol("injvm", l.jvm), WithLogger(slog.New(slog.NewTextHandler(logs, nil))),
		WithRegistryOpener(l.open), WithConfigCenter(cc))
	defer p.Destroy()
	ref, err := l.refer(p, map[string]string{migration.StepKey: "FORCE_INTERFACE"})
	require.NoError(t, err)
	defer ref.Destroy()
	key := migration.RuleKey("demo-consumer")
	publish := func(rule string) { require.NoError(t, cc.Publish(ctx, key, migration.RuleGroup, rule)) }
	stepIs := func(want migration.Step, app bool, sides int) func() bool {
		return func() bool { s, a, _ := Step(ref); return s == want && a == app && len(Sides(ref)) == sides }
	}
	require.True(t, stepIs(migration.ForceInterface, false, 1)())

	// No application-level provider: the comparator keeps the reference where it is.
	publish("step: FORCE_APPLICATION")
	require.Eventually(t, func() bool { return strings.Contains(logs.String(), "migration failed; the previous step stays") }, 5*time.Second, 5*time.Millisecond)
	require.Contains(t, logs.String(), "application-level side has 0 providers against 1 interface-level: below threshold")
	require.True(t, stepIs(migration.ForceInterface, false, 1)(), "the application level referred for the attempt is released")
	require.Equal(t, "iface", who(t, ref))

	// A bad rule changes nothing.
	publish("step: [")
	require.Eventually(t, func() bool { return strings.Contains(logs.String(), "migration rule rejected") }, 5*time.Second, 5*time.Millisecond)
	require.True(t, stepIs(migration.ForceInterface, false, 1)())

	// force skips the comparator.
	publish("step: FORCE_APPLICATION\nforce: true")
	require.Eventually(t, stepIs(migration.ForceApplication, true, 1), 5*time.Second, 5*time.Millisecond)
	_, err = call(ref)
	require.Error(t, err, "no application-level provider yet")
	l.export(t, "app", 2, true)
	require.Eventually(t, func() bool { return whoNow(ref) == "app" }, 5*time.Second, 5*time.Millisecond)

	// APPLICATION_FIRST with a proportion: both levels answer.
	publish("step: APPLICATION_FIRST\nproportion: 50")
	require.Eventually(t, stepIs(migration.ApplicationFirst, true, 2), 5*time.Second, 5*time.Millisecond)
	require.Eventually(t, func() bool { return whoNow(ref) == "iface+app" }, 5*time.Second, 5*time.Millisecond)
	publish("step: APPLICATION_FIRST")
	require.Eventually(t, func() bool { return whoNow(ref) == "app" }, 5*time.Second, 5*time.Millisecond)

	// A per-interface entry wins over the rule's step.
	publish("step: APPLICATION_FIRST\ninterfaces:\n  - serviceKey: " + iface + "\n    step: FORCE_INTERFACE")
	require.Eventually(t, stepIs(migration.ForceInterface, false, 1), 5*time.Second, 5*time.Millisecond)

	// Removing the rule: the param's step (FORCE_INTERFACE) again.
	publish("step: FORCE_APPLICATION")
	require.Eventually(t, stepIs(migration.ForceApplication, true, 1), 5*time.Second, 5*time.Millisecond)
	require.NoError(t, cc.Remove(ctx, key, migration.RuleGroup))
	require.Eventually(t, stepIs(migration.ForceInterface, false, 1), 5*time.Second, 5*time.Millisecond)
	require.Equal(t, "iface", who(t, ref))
}

// TestMigrationDestroyDuringDelay: Destroy does not wait out a rule's delay.
func TestMigrationDestroyDuringDelay(t *testing.T) {
	l := newLevels(t)
	l.export(t, "iface", 1, false)
	l.export(t, "app", 2, true)
	cc := newMemCenter()
	logs := &logBuffer{}
	p := New(WithProtocol("injvm", l.jvm), WithLogger(slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))),
		WithRegistryOpener(l.open), WithConfigCenter(cc))
	defer p.Destroy()
	ref, err := l.refer(p, map[string]string{migration.StepKey: "FORCE_INTERFACE"})
	require.NoError(t, err)
	require.NoError(t, cc.Publish(ctx, migration.RuleKey("demo-consumer"), migration.RuleGroup, "step: FORCE_APPLICATION\ndelay: 3600"))
	require.Eventually(t, func() bool { return len(Sides(ref)) == 0 || strings.Contains(logs.String(), "migration rule applied") }, 5*time.Second, 5*time.Millisecond)
	done := make(chan struct{})
	go func() { ref.Destroy(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Destroy waited for the rule's delay")
	}
	s, _, _ := Step(ref)
	require.Empty(t, s)
	require.NotContains(t, logs.String(), "migration failed", "a destroyed reference does not move")
}
