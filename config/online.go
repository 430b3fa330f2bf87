package config

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/metrics"
	"github.com/fleetrpc/fleet/protocol"
	"github.com/fleetrpc/fleet/registry"
)

// ErrNotExported is returned by Online and Offline for a service the
// runtime has not exported.
var ErrNotExported = errors.New("config: service not exported")

// trackedRegistry is a registry the runtime opened, remembering the
// provider URLs registered through it so that Offline can withdraw them
// and Online publish them again, as Dubbo's QoS offline/online do.
type trackedRegistry struct {
	registry.Registry
	opened  *common.URL      // the URL it was opened with; immutable
	metrics *metrics.Metrics // nil when off; immutable

	mu        sync.Mutex // guards providers, listeners
	providers map[string]*trackedURL
	listeners map[registry.NotifyListener]*notifyRecorder
}

type trackedURL struct {
	url     *common.URL // immutable
	offline bool
}

func (t *trackedRegistry) Register(ctx context.Context, u *common.URL) error {
	err := t.Registry.Register(ctx, u)
	if t.metrics != nil {
		t.metrics.RecordRegister(err)
	}
	if err != nil {
		return err
	}
	if u.Category() == common.ProvidersCategory {
		t.mu.Lock()
		t.providers[u.String()] = &trackedURL{url: u}
		t.mu.Unlock()
	}
	return nil
}

func (t *trackedRegistry) Unregister(ctx context.Context, u *common.URL) error {
	t.mu.Lock()
	delete(t.providers, u.String())
	t.mu.Unlock()
	return t.Registry.Unregister(ctx, u)
}

// forService returns the provider URLs of serviceKey registered here.
func (t *trackedRegistry) forService(serviceKey string) []*trackedURL {
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []*trackedURL
	for _, p := range t.providers {
		if p.url.ServiceKey() == serviceKey {
			out = append(out, p)
		}
	}
	return out
}

// count returns how many provider URLs of serviceKey registered here are
// online and how many Offline withdrew.
func (t *trackedRegistry) count(serviceKey string) (online, offline int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, p := range t.providers {
		if p.url.ServiceKey() != serviceKey {
			continue
		}
		if p.offline {
			offline++
		} else {
			online++
		}
	}
	return online, offline
}

// setOnline registers (online) or unregisters (offline) the provider URLs
// of serviceKey, leaving the services exported. It returns how many URLs
// it changed.
func (t *trackedRegistry) setOnline(ctx context.Context, serviceKey string, online bool) (int, error) {
	n := 0
	for _, p := range t.forService(serviceKey) {
		t.mu.Lock()
		offline := p.offline
		t.mu.Unlock()
		if offline != online {
			continue
		}
		op, do := "unregister", t.Registry.Unregister
		if online {
			op, do = "register", t.Registry.Register
		}
		if err := do(ctx, p.url); err != nil {
			return n, fmt.Errorf("config: %s %s at %s in %s: %w", op, serviceKey, p.url.Address(), t.Registry.URL(), err)
		}
		t.mu.Lock()
		p.offline = !online
		t.mu.Unlock()
		n++
	}
	return n, nil
}

// openRegistry is the runtime's registry opener: registry.Open, tracked.
func (rt *Runtime) openRegistry(u *common.URL) (registry.Registry, error) {
	r, err := registry.Open(u)
	if err != nil {
		return nil, err
	}
	t := &trackedRegistry{Registry: r, opened: u, metrics: rt.metrics,
		providers: map[string]*trackedURL{}, listeners: map[registry.NotifyListener]*notifyRecorder{}}
	rt.mu.Lock()
	rt.registries = append(rt.registries, t)
	rt.mu.Unlock()
	return t, nil
}

// exported is one Export: a service of the configuration on its
// protocols.
type exported struct {
	name string
	key  string        // the service key
	urls []*common.URL // one per protocol
}

// ExportState is an exported service as the admin endpoint lists it.
type ExportState struct {
	Name       string   `json:"name"`       // its key in dubbo.provider.services
	ServiceKey string   `json:"serviceKey"` // group/interface:version
	URLs       []string `json:"urls"`       // where it is served
	Registered int      `json:"registered"` // provider URLs registered and online
	Offline    int      `json:"offline"`    // provider URLs withdrawn by Offline
}

// Exports lists the services exported, in the order of their Export.
func (rt *Runtime) Exports() []ExportState {
	rt.mu.Lock()
	exps, regs := append([]*exported(nil), rt.exported...), append([]*trackedRegistry(nil), rt.registries...)
	rt.mu.Unlock()
	out := make([]ExportState, 0, len(exps))
	for _, e := range exps {
		st := ExportState{Name: e.name, ServiceKey: e.key}
		for _, u := range e.urls {
			st.URLs = append(st.URLs, u.String())
		}
		for _, r := range regs {
			online, offline := r.count(e.key)
			st.Registered += online
			st.Offline += offline
		}
		out = append(out, st)
	}
	return out
}

// References lists the references referred, in the order of their Refer.
func (rt *Runtime) References() []*Reference {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	return append([]*Reference(nil), rt.refs...)
}

// Offline withdraws the provider URLs of the named exported services (all
// of them when no name is given) from their registries without
// unexporting them: calls already routed still arrive, new consumers stop
// choosing them. Online publishes them again.
func (rt *Runtime) Offline(ctx context.Context, names ...string) (int, error) {
	return rt.setOnline(ctx, false, names)
}

// Online registers again what Offline withdrew.
func (rt *Runtime) Online(ctx context.Context, names ...string) (int, error) {
	return rt.setOnline(ctx, true, names)
}

func (rt *Runtime) setOnline(ctx context.Context, online bool, names []string) (int, error) {
	rt.mu.Lock()
	if rt.closed {
		rt.mu.Unlock()
		return 0, ErrClosed
	}
	exps, regs := append([]*exported(nil), rt.exported...), append([]*trackedRegistry(nil), rt.registries...)
	rt.mu.Unlock()
	keys := map[string]bool{}
	for _, name := range names {
		found := false
		for _, e := range exps {
			if e.name == name || e.key == name {
				keys[e.key], found = true, true
			}
		}
		if !found {
			return 0, fmt.Errorf("%w: %q", ErrNotExported, name)
		}
	}
	if len(names) == 0 {
		for _, e := range exps {
			keys[e.key] = true
		}
	}
	n := 0
	for _, key := range sortedKeys(keys) {
		for _, r := range regs {
			c, err := r.setOnline(ctx, key, online)
			n += c
			if err != nil {
				return n, err
			}
		}
	}
	return n, nil
}

// Started reports whether every service of dubbo.provider.services has
// been exported (the startup probe): a program that only refers is started
// at once.
func (rt *Runtime) Started() bool {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	done := map[string]bool{}
	for _, e := range rt.exported {
		done[e.name] = true
	}
	for name := range rt.cfg.Provider.Services {
		if !done[name] {
			return false
		}
	}
	return true
}

// Ready reports whether the runtime serves traffic (the readiness probe):
// started, not closed, and no exported service taken offline.
func (rt *Runtime) Ready() bool {
	if !rt.Started() {
		return false
	}
	rt.mu.Lock()
	closed := rt.closed
	rt.mu.Unlock()
	if closed {
		return false
	}
	for _, e := range rt.Exports() {
		if e.Offline > 0 {
			return false
		}
	}
	return true
}

// wrapService runs the service filters around an exported invoker.
func (rt *Runtime) wrapService(inv protocol.Invoker) protocol.Invoker {
	return protocol.WithFilters(inv, rt.serviceFilters...)
}
