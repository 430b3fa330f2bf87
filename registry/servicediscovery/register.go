package servicediscovery

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/protocol"
)

// ErrInvalid marks a provider URL the provider side cannot register.
var ErrInvalid = errors.New("servicediscovery: invalid provider URL")

// publisher is the provider side of a Registry: the applications whose
// providers were registered through it, each published as one instance
// node with its MetadataService.
type publisher struct {
	proto protocol.Protocol // MetadataServices are exported through it; nil: protocol.Get("dubbo") at first use

	mu      sync.Mutex // serialises registrations and node writes; guards the fields below
	apps    map[string]*appInstance
	stale   map[string]bool // instance nodes to delete (an unregister that could not)
	started bool            // the loop runs
	closed  bool

	kick   chan struct{} // capacity 1: check the nodes (a new session, a failed write)
	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{} // closed when the loop ends
}

// appInstance is one application's instance: the providers registered
// for it and what was published of them. Guarded by publisher.mu.
type appInstance struct {
	app     string
	host    string // the instance's host (as the URL has it) and port: its first dubbo provider's
	port    int
	path    string        // /services/<app>/<host:port>
	regTime int64         // registrationTimeUTC, ms
	urls    []*common.URL // the registered providers, in order
	info    *MetadataInfo // what the node advertises (immutable)
	ms      *localMetadataService
	release func() // withdraws ms from the exported MetadataService
}

func (p *publisher) init(proto protocol.Protocol) {
	p.proto = proto
	p.apps = map[string]*appInstance{}
	p.stale = map[string]bool{}
	p.kick = make(chan struct{}, 1)
	p.ctx, p.cancel = context.WithCancel(context.Background())
	p.done = make(chan struct{})
}

// wake makes the loop check the nodes soon. It never blocks.
func (p *publisher) wake() {
	select {
	case p.kick <- struct{}{}:
	default:
	}
}

// validProvider checks what the provider side needs of a provider URL and
// returns its application.
func validProvider(u *common.URL) (string, error) {
	app := u.ParamOr(common.ApplicationKey, "")
	host := u.Host()
	switch {
	case app == "":
		return "", fmt.Errorf("%w: no application param", ErrInvalid)
	case host == "" || host == common.AnyHost || host == "::" || host == "[::]":
		return "", fmt.Errorf("%w: address %q is empty or any-host", ErrInvalid, host)
	case u.Port() <= 0:
		return "", fmt.Errorf("%w: no port", ErrInvalid)
	case u.ServiceInterface() == "" || u.ServiceInterface() == common.AnyValue:
		return "", fmt.Errorf("%w: no interface", ErrInvalid)
	}
	return app, nil
}

// register is Register for a provider URL: the service joins its
// application's MetadataInfo, the mapping of its interface names the
// application, the application's MetadataService is exported (on its
// first provider) and its instance node is written with the new revision.
// On error nothing changed (the mapping aside, which only ever grows, as
// in Dubbo).
func (r *Registry) register(ctx context.Context, u *common.URL) error {
	app, err := validProvider(u)
	if err != nil {
		return err
	}
	p := &r.pub
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return ErrClosed
	}
	a := p.apps[app]
	fresh := a == nil
	if fresh {
		if u.Protocol() != "dubbo" {
			return fmt.Errorf("%w: the first provider of application %s must be dubbo:// (its MetadataService is served on that port)",
				ErrUnsupported, app)
		}
		a = &appInstance{
			app: app, host: u.Host(), port: u.Port(),
			path:    r.servicesRoot + "/" + app + "/" + net.JoinHostPort(bareHost(u.Host()), strconv.Itoa(u.Port())),
			regTime: time.Now().UnixMilli(),
			ms:      &localMetadataService{},
		}
	}
	if err := r.publishMapping(ctx, u.ServiceInterface(), app); err != nil {
		return err
	}
	urls := withURL(a.urls, u)
	info := metadataOf(app, urls)
	if a.release == nil {
		proto := p.proto
		if proto == nil {
			if proto, err = protocol.Get("dubbo"); err != nil {
				return fmt.Errorf("metadata service of %s: %w", app, err)
			}
		}
		if a.release, err = acquireMetadataService(proto, app, a.host, a.port, a.ms); err != nil {
			return err
		}
	}
	before := a.ms.served.Load()
	a.ms.set(info)
	if err := r.writeInstance(ctx, a, urls, info, !fresh); err != nil {
		a.ms.restore(before)
		if fresh {
			a.release()
		}
		return err
	}
	a.urls, a.info = urls, info
	p.apps[app] = a
	delete(p.stale, a.path)
	p.start(r)
	return nil
}

// unregister is Unregister for a provider URL: the service leaves its
// application's MetadataInfo and the node is rewritten with the new
// revision, or deleted (and the MetadataService unexported) when the
// application has no service left. The change stands even when the write
// fails: it is written again in the background until it succeeds.
func (r *Registry) unregister(ctx context.Context, u *common.URL) error {
	p := &r.pub
	p.mu.Lock()
	defer p.mu.Unlock()
	a := p.apps[u.ParamOr(common.ApplicationKey, "")]
	if a == nil {
		return nil
	}
	i := slices.IndexFunc(a.urls, u.Equal)
	if i < 0 {
		return nil
	}
	a.urls = slices.Delete(slices.Clone(a.urls), i, i+1)
	if len(a.urls) == 0 {
		delete(p.apps, a.app)
		a.release()
		if err := r.deleteInstance(ctx, a.path); err != nil {
			p.stale[a.path] = true
			p.wake()
			return err
		}
		return nil
	}
	a.info = metadataOf(a.app, a.urls)
	a.ms.set(a.info)
	if err := r.writeInstance(ctx, a, a.urls, a.info, true); err != nil {
		p.wake()
		return err
	}
	return nil
}

// bareHost is host without the brackets of an IPv6 address.
func bareHost(host string) string { return strings.TrimSuffix(strings.TrimPrefix(host, "["), "]") }

// withURL is urls with u added, in place of an equal one.
func withURL(urls []*common.URL, u *common.URL) []*common.URL {
	out := slices.Clone(urls)
	if i := slices.IndexFunc(out, u.Equal); i >= 0 {
		out[i] = u
		return out
	}
	return append(out, u)
}

// metadataOf is app's MetadataInfo for its registered providers, with
// its revision. Providers with the same match key: the last one counts,
// as in Java's map.
func metadataOf(app string, urls []*common.URL) *MetadataInfo {
	md := &MetadataInfo{App: app, Services: make(map[string]*ServiceInfo, len(urls))}
	for _, u := range urls {
		si := newServiceInfo(u)
		md.Services[si.matchKey()] = si
	}
	md.Revision = Revision(app, md.Services)
	return md
}

// start starts the loop that keeps the nodes written, once. p.mu is held.
func (p *publisher) start(r *Registry) {
	if p.started {
		return
	}
	p.started = true
	go r.publishLoop()
}

// publishLoop re-writes what the nodes lack when woken (every new
// session, a failed write), and again after the retry period while a
// write fails.
func (r *Registry) publishLoop() {
	p := &r.pub
	defer close(p.done)
	var retry <-chan time.Time
	for {
		select {
		case <-p.ctx.Done():
			return
		case <-p.kick:
		case <-retry:
		}
		retry = nil
		if err := r.republish(p.ctx); err != nil {
			if p.ctx.Err() != nil {
				return
			}
			r.log.Warn("application instance not written; retrying", "error", err, "retry", r.retry)
			retry = time.After(r.retry)
		}
	}
}

// republish makes every instance node what it should be: written by this
// session with the current metadata, and the stale ones gone.
func (r *Registry) republish(ctx context.Context) error {
	p := &r.pub
	p.mu.Lock()
	defer p.mu.Unlock()
	var errs []error
	for path := range p.stale {
		if err := r.deleteInstance(ctx, path); err != nil {
			errs = append(errs, err)
			continue
		}
		delete(p.stale, path)
	}
	for _, a := range p.apps {
		if err := r.ensureInstance(ctx, a); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// closePublisher stops the loop and unexports the MetadataServices; the
// instance nodes go with the session.
func (r *Registry) closePublisher() {
	p := &r.pub
	p.cancel()
	p.mu.Lock()
	p.closed = true
	started := p.started
	apps := p.apps
	p.apps = map[string]*appInstance{}
	p.mu.Unlock()
	if started {
		<-p.done
	}
	for _, a := range apps {
		a.release()
	}
}
