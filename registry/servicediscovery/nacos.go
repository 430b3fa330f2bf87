package servicediscovery

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nacos-group/nacos-sdk-go/v2/model"

	"github.com/fleetrpc/fleet/common"
	inacos "github.com/fleetrpc/fleet/internal/nacos"
)

// Nacos names and parameters.
const (
	// MappingGroup is the Nacos config group of the service-name mapping:
	// data id <interface>, content a comma list of applications (Java's
	// and dubbo-go's metadata report).
	MappingGroup = "mapping"
	// MappingPollKey is how often a watched mapping is read again
	// (milliseconds or a Go duration, default 1 s).
	MappingPollKey = "mapping.poll"
	// DefaultMappingPoll is the mapping poll period when the URL sets none.
	DefaultMappingPoll = time.Second
	// EmptyGraceKey is how long after a reconnection an application whose
	// instances turn empty keeps its last ones (milliseconds or a Go
	// duration; 0 turns it off): a restarted server has none until the
	// providers registered again. registry/nacos's name.
	EmptyGraceKey = "nacos.empty-grace"
	// DefaultEmptyGrace is the grace when the URL sets none.
	DefaultEmptyGrace = 15 * time.Second
)

// nacosInternalPrefix starts the metadata keys the polaris server adds to
// every instance.
const nacosInternalPrefix = "internal-nacos-"

// nacosIDKey is the metadata key dubbo-go writes its instance id under.
const nacosIDKey = "id"

// NewNacos returns a Registry on the Nacos server url names
// (nacos://host:port or service-discovery-registry://host:port?registry=nacos,
// with the params internal/nacos.ParseURL reads: namespace, group or
// nacos.group (the group the applications are registered in, default
// DEFAULT_GROUP), username, password, timeout, nacos.poll; and
// mapping.poll, retry.period, metadata.timeout). It connects in the
// background.
//
// An application <app> is the Nacos service <app> of that group, its
// instances (enabled, healthy, weight above 0) carry the dubbo.* keys as
// metadata; the mapping of an interface is the config <interface> in group
// mapping, read every mapping.poll while watched; the metadata report of
// a revision is the config <app> in group <revision> (Java's layout), else
// <app>:<revision> in the registry's group (dubbo-go 3.1's).
func NewNacos(url *common.URL, opts ...Option) (*Registry, error) {
	r, _, err := newRegistry(url, opts)
	if err != nil {
		return nil, err
	}
	cfg, err := inacos.ParseURL(url)
	if err != nil {
		r.abort()
		return nil, fmt.Errorf("servicediscovery: %w", err)
	}
	poll, err := url.ParamDuration(MappingPollKey, DefaultMappingPoll)
	if err != nil || poll <= 0 {
		r.abort()
		return nil, fmt.Errorf("servicediscovery: %s: bad %s %q", url, MappingPollKey, url.ParamOr(MappingPollKey, ""))
	}
	grace, err := url.ParamDuration(EmptyGraceKey, DefaultEmptyGrace)
	if err != nil || grace < 0 {
		r.abort()
		return nil, fmt.Errorf("servicediscovery: %s: bad %s %q", url, EmptyGraceKey, url.ParamOr(EmptyGraceKey, ""))
	}
	dirs, err := inacos.OpenDirs()
	if err != nil {
		r.abort()
		return nil, fmt.Errorf("servicediscovery: %w", err)
	}
	dirs.Apply(&cfg.Client)
	n := &nacosSource{
		r: r, dirs: dirs, group: cfg.Group, poll: poll, timeout: cfg.Timeout, grace: grace,
		quit: make(chan struct{}), apps: map[string]*appWatch{}, maps: map[string]*mappingWatch{},
	}
	client, err := inacos.NewNamingClient(cfg, inacos.WithLogger(r.log), inacos.WithConnectionListener(n.onConnection))
	if err != nil {
		dirs.Close()
		r.abort()
		return nil, fmt.Errorf("servicediscovery: %s: %w", url.Address(), err)
	}
	r.timeout = cfg.Timeout
	n.client = client
	r.src = n
	return r, nil
}

// nacosSource reads the topology from a Nacos server through one
// internal/nacos client: instances by subscription (the server's pushes
// and the client's re-reads), mappings by polling the config.
type nacosSource struct {
	r       *Registry            // immutable
	client  *inacos.NamingClient // immutable after NewNacos
	dirs    *inacos.Dirs         // immutable
	group   string               // immutable
	poll    time.Duration        // immutable
	timeout time.Duration        // immutable
	grace   time.Duration        // immutable
	quit    chan struct{}        // closed by close: the pollers return
	wg      sync.WaitGroup       // the pollers
	lost    atomic.Bool          // a connection was lost
	upAt    atomic.Int64         // unix ns of the last reconnection

	mu     sync.Mutex // guards the fields below and the watches' subs
	apps   map[string]*appWatch
	maps   map[string]*mappingWatch
	closed bool
}

// appWatch is one subscribed application and the subscriptions reading
// it.
type appWatch struct {
	app    string
	subs   map[*subscription]bool // guarded by nacosSource.mu
	ready  chan struct{}          // closed when the subscribe request ended
	err    error                  // why it failed; set before ready closes
	cancel func()                 // guarded by nacosSource.mu; nil until subscribed
	gone   bool                   // released; guarded by nacosSource.mu

	mu   sync.Mutex // guards last, have, held
	last []model.Instance
	have bool
	held *time.Timer // an empty list held back after a reconnection; nil when none
}

// mappingWatch is one interface's mapping, polled for its subscriptions.
type mappingWatch struct {
	iface string
	subs  map[*subscription]bool // guarded by nacosSource.mu
	apps  []string               // guarded by nacosSource.mu
	have  bool                   // a read gave apps; guarded by nacosSource.mu
	stop  chan struct{}          // closed when the last subscription leaves
}

func (n *nacosSource) ready(context.Context) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.closed {
		return ErrClosed
	}
	return nil
}

// readMapping reads the mapping config of iface: its applications, none
// when there is no config.
func (n *nacosSource) readMapping(ctx context.Context, iface string) ([]string, error) {
	content, err := n.client.GetConfig(ctx, iface, MappingGroup)
	if errors.Is(err, inacos.ErrConfigNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return parseMapping(content), nil
}

func (n *nacosSource) mapping(ctx context.Context, s *subscription) ([]string, error) {
	if !s.watch {
		return n.readMapping(ctx, s.iface)
	}
	n.mu.Lock()
	if n.closed {
		n.mu.Unlock()
		return nil, ErrClosed
	}
	mw := n.maps[s.iface]
	if mw == nil {
		mw = &mappingWatch{iface: s.iface, subs: map[*subscription]bool{}, stop: make(chan struct{})}
		n.maps[s.iface] = mw
		n.wg.Add(1)
		go n.pollMapping(mw)
	}
	mw.subs[s] = true
	if mw.have {
		apps := mw.apps
		n.mu.Unlock()
		return apps, nil
	}
	n.mu.Unlock()
	apps, err := n.readMapping(ctx, s.iface)
	if err != nil {
		return nil, err
	}
	apps, _ = n.setMapping(mw, apps)
	return apps, nil
}

// setMapping records the applications read for mw and returns those in
// force and whether they changed. A mapping read empty after it had
// applications keeps them, as Java's mapping listener ignores an empty
// mapping: a restarting server answers "not found" for a moment, and a
// mapping is only ever added to.
func (n *nacosSource) setMapping(mw *mappingWatch, apps []string) ([]string, bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if len(apps) == 0 && len(mw.apps) > 0 {
		return mw.apps, false
	}
	changed := mw.have && !slices.Equal(apps, mw.apps)
	mw.apps, mw.have = apps, true
	return apps, changed
}

// pollMapping reads mw's mapping every poll period and marks its
// subscriptions' mapping dirty when it changed, until mw stops or the
// source closes.
func (n *nacosSource) pollMapping(mw *mappingWatch) {
	defer n.wg.Done()
	life, end := context.WithCancel(context.Background())
	defer end()
	go func() { // a read in flight ends with mw or the source
		select {
		case <-mw.stop:
		case <-n.quit:
		case <-life.Done():
		}
		end()
	}()
	t := time.NewTicker(n.poll)
	defer t.Stop()
	for {
		select {
		case <-mw.stop:
			return
		case <-n.quit:
			return
		case <-t.C:
		}
		ctx, cancel := context.WithTimeout(life, n.timeout)
		apps, err := n.readMapping(ctx, mw.iface)
		cancel()
		if err != nil {
			if life.Err() == nil {
				n.r.log.Debug("application-level discovery: mapping read failed; retrying",
					"interface", mw.iface, "err", err)
			}
			continue
		}
		if _, changed := n.setMapping(mw, apps); !changed {
			continue
		}
		for _, s := range n.subsOf(mw.subs) {
			s.markMapping()
		}
	}
}

func (n *nacosSource) instances(ctx context.Context, s *subscription, app string, old map[string]*Instance, _ dirty) (map[string]*Instance, error) {
	if !s.watch {
		svc, err := n.client.Query(ctx, app, n.group)
		if err != nil {
			return nil, err
		}
		return n.toInstances(app, svc.Hosts, old), nil
	}
	aw, err := n.watchApp(ctx, s, app)
	if err != nil {
		return nil, err
	}
	aw.mu.Lock()
	hosts := aw.last
	aw.mu.Unlock()
	return n.toInstances(app, hosts, old), nil
}

// watchApp adds s to the subscribers of app, subscribing to the Nacos
// service when s is the first, and waits until the subscription has the
// service's instances.
func (n *nacosSource) watchApp(ctx context.Context, s *subscription, app string) (*appWatch, error) {
	n.mu.Lock()
	if n.closed {
		n.mu.Unlock()
		return nil, ErrClosed
	}
	aw := n.apps[app]
	first := aw == nil
	if first {
		aw = &appWatch{app: app, subs: map[*subscription]bool{}, ready: make(chan struct{})}
		n.apps[app] = aw
	}
	aw.subs[s] = true
	n.mu.Unlock()
	if first {
		n.subscribe(ctx, aw)
	}
	select {
	case <-aw.ready:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if aw.err != nil {
		return nil, aw.err
	}
	return aw, nil
}

// subscribe subscribes to aw's service and closes aw.ready. A failed
// subscription is forgotten (the next refresh tries again); one released
// meanwhile is cancelled.
func (n *nacosSource) subscribe(ctx context.Context, aw *appWatch) {
	svc, cancel, err := n.client.Subscribe(ctx, aw.app, n.group, func(svc model.Service) {
		if n.update(aw, svc.Hosts) {
			n.markApp(aw)
		}
	})
	if err == nil {
		aw.mu.Lock()
		if !aw.have { // the client's watch had this state already
			aw.last, aw.have = svc.Hosts, true
		}
		aw.mu.Unlock()
	}
	n.mu.Lock()
	drop := err != nil || aw.gone || n.closed
	if err != nil {
		aw.err = fmt.Errorf("subscribe %s in %s: %w", aw.app, n.group, err)
		if n.apps[aw.app] == aw {
			delete(n.apps, aw.app)
		}
	} else if !drop {
		aw.cancel = cancel
	}
	n.mu.Unlock()
	close(aw.ready)
	if drop && cancel != nil {
		cancel()
	}
}

// onConnection records reconnections (for the grace of empty lists).
func (n *nacosSource) onConnection(up bool) {
	switch {
	case !up:
		n.lost.Store(true)
	case n.lost.Load(): // a reconnection, not the first connection
		n.upAt.Store(time.Now().UnixNano())
	}
}

// inGrace reports whether a list turning empty is held back now, and for
// how much longer.
func (n *nacosSource) inGrace() (time.Duration, bool) {
	up := n.upAt.Load()
	if n.grace <= 0 || up == 0 {
		return 0, false
	}
	left := n.grace - time.Since(time.Unix(0, up))
	return left, left > 0
}

// update records the hosts delivered for aw and reports whether its
// subscriptions must re-read them. Hosts turning empty within the grace
// after a reconnection are held back: the last ones stay until the grace
// ends (then the list is read again) or hosts come.
func (n *nacosSource) update(aw *appWatch, hosts []model.Instance) bool {
	aw.mu.Lock()
	defer aw.mu.Unlock()
	if len(hosts) == 0 && len(aw.last) > 0 {
		if left, ok := n.inGrace(); ok {
			if aw.held == nil {
				n.r.log.Info("application-level discovery: holding an empty instance list after reconnecting",
					"app", aw.app, "for", left)
				aw.held = time.AfterFunc(left, func() { n.endHold(aw) })
			}
			return false
		}
	}
	if aw.held != nil {
		aw.held.Stop()
		aw.held = nil
	}
	aw.last, aw.have = hosts, true
	return true
}

// endHold ends aw's held empty list: the client's current state of the
// service is taken again.
func (n *nacosSource) endHold(aw *appWatch) {
	aw.mu.Lock()
	if aw.held == nil {
		aw.mu.Unlock()
		return
	}
	aw.held = nil
	aw.last = nil // the state the hold kept from the subscriptions
	aw.mu.Unlock()
	n.markApp(aw)
}

// markApp marks aw's application dirty in its subscriptions.
func (n *nacosSource) markApp(aw *appWatch) {
	for _, s := range n.subsOf(aw.subs) {
		s.markApp(aw.app)
	}
}

// subsOf is a copy of a watch's subscription set, read under n.mu, so
// that they are marked without holding it.
func (n *nacosSource) subsOf(set map[*subscription]bool) []*subscription {
	n.mu.Lock()
	defer n.mu.Unlock()
	return slices.Collect(maps.Keys(set))
}

// stopHold stops aw's hold timer, if any.
func (aw *appWatch) stopHold() {
	aw.mu.Lock()
	if aw.held != nil {
		aw.held.Stop()
		aw.held = nil
	}
	aw.mu.Unlock()
}

func (n *nacosSource) release(s *subscription, keep map[string]bool) {
	var cancels []func()
	var stops []chan struct{}
	n.mu.Lock()
	for app, aw := range n.apps {
		if !aw.subs[s] || keep[app] {
			continue
		}
		delete(aw.subs, s)
		if len(aw.subs) == 0 {
			delete(n.apps, app)
			aw.gone = true
			aw.stopHold()
			if aw.cancel != nil {
				cancels = append(cancels, aw.cancel)
			}
		}
	}
	if keep == nil {
		if mw := n.maps[s.iface]; mw != nil && mw.subs[s] {
			delete(mw.subs, s)
			if len(mw.subs) == 0 {
				delete(n.maps, s.iface)
				stops = append(stops, mw.stop)
			}
		}
	}
	n.mu.Unlock()
	for _, c := range stops {
		close(c)
	}
	for _, c := range cancels {
		c()
	}
}

// toInstances turns a Nacos service's hosts into instances of app keyed by
// ip:port, reusing the instance of old that did not change. Disabled and
// unhealthy hosts, and hosts of weight 0, are left out, as Java's
// selectInstances(healthy) does; the server's internal-nacos-* keys and
// dubbo-go's id are dropped from the metadata.
func (n *nacosSource) toInstances(app string, hosts []model.Instance, old map[string]*Instance) map[string]*Instance {
	cur := make(map[string]*Instance, len(hosts))
	var buf []byte // ip:port, as net.JoinHostPort writes it
	for i := range hosts {
		h := &hosts[i]
		if !h.Enable || !h.Healthy || h.Weight <= 0 || h.Ip == "" || h.Port == 0 || h.Port > 65535 {
			continue
		}
		buf = buf[:0]
		if strings.IndexByte(h.Ip, ':') >= 0 {
			buf = append(append(append(buf, '['), h.Ip...), ']')
		} else {
			buf = append(buf, h.Ip...)
		}
		buf = strconv.AppendUint(append(buf, ':'), h.Port, 10)
		if in := old[string(buf)]; in != nil && sameMetadata(in.Metadata, h.Metadata) {
			cur[in.ID] = in
			continue
		}
		id := string(buf)
		md := make(map[string]string, len(h.Metadata))
		for k, v := range h.Metadata {
			if keptKey(k) {
				md[k] = v
			}
		}
		in := &Instance{ID: id, App: app, Host: h.Ip, Port: int(h.Port), Metadata: md}
		in.endpoints = parseEndpoints(md[EndpointsKey])
		if in.Revision() == "" {
			n.r.log.Warn("application-level discovery: instance skipped: no metadata revision",
				"app", app, "instance", in.ID)
		}
		cur[id] = in
	}
	return cur
}

// keptKey reports whether an instance's metadata key is kept: not the
// server's internal-nacos-* keys, not dubbo-go's id.
func keptKey(k string) bool { return k != nacosIDKey && !strings.HasPrefix(k, nacosInternalPrefix) }

// sameMetadata reports whether raw, without the keys keptKey drops, is
// kept; it allocates nothing.
func sameMetadata(kept, raw map[string]string) bool {
	n := 0
	for k, v := range raw {
		if !keptKey(k) {
			continue
		}
		if w, ok := kept[k]; !ok || w != v {
			return false
		}
		n++
	}
	return n == len(kept)
}

func (n *nacosSource) report(ctx context.Context, app, revision string) ([]byte, error) {
	content, err := n.client.GetConfig(ctx, app, revision)
	if errors.Is(err, inacos.ErrConfigNotFound) || (err == nil && content == "") {
		content, err = n.client.GetConfig(ctx, app+":"+revision, n.group)
		if err == nil && content == "" {
			err = fmt.Errorf("config %s in %s: %w", app+":"+revision, n.group, inacos.ErrConfigNotFound)
		}
	}
	if err != nil {
		return nil, err
	}
	return []byte(content), nil
}

func (n *nacosSource) close() {
	n.mu.Lock()
	n.closed = true
	for _, aw := range n.apps {
		aw.stopHold()
	}
	n.mu.Unlock()
	close(n.quit)
	n.wg.Wait()
	n.client.Close()
	n.dirs.Close()
}
