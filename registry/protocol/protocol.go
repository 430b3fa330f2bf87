package protocol

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/fleetrpc/fleet/cluster"
	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/directory"
	rpc "github.com/fleetrpc/fleet/protocol"
	"github.com/fleetrpc/fleet/registry"
)

// RegistryScheme is the scheme of Dubbo's generic registry URL,
// registry://host:port?registry=zookeeper; Refer and Export read it as
// zookeeper://host:port.
const RegistryScheme = "registry"

// registryParamKey names the real scheme of a registry:// URL.
const registryParamKey = "registry"

// mergeableCluster is the strategy Java joins a multi-group reference with.
const mergeableCluster = "mergeable"

// subscribeCategories are the categories a reference subscribes to.
const subscribeCategories = common.ProvidersCategory + "," + common.ConfiguratorsCategory + "," + common.RoutersCategory

// ErrDestroyed is returned by Refer and Export after Destroy.
var ErrDestroyed = errors.New("registry protocol: destroyed")

// Protocol refers and exports services through registries. It is safe for
// concurrent use. It owns the registries it opens (one per registry
// address) and closes them in Destroy, after destroying the references and
// withdrawing the exports that are left.
type Protocol struct {
	opts   options // immutable
	logger *slog.Logger

	mu         sync.Mutex // guards registries, refs, migrating, exports, destroyed
	registries map[string]registry.Registry
	refs       map[*directory.RegistryDirectory]rpc.Invoker
	migrating  map[*migrationInvoker]struct{} // references using both discovery levels (migration.go)
	exports    map[*exporter]struct{}
	destroyed  bool

	centers centers // the config centers opened (governance.go)

	localMu sync.Mutex              // guards locals
	locals  map[string]*localExport // services exported locally, shared by registries (export.go)
}

// New returns a Protocol. It opens nothing until the first Refer or Export.
func New(opts ...Option) *Protocol {
	p := &Protocol{
		registries: map[string]registry.Registry{},
		refs:       map[*directory.RegistryDirectory]rpc.Invoker{},
		exports:    map[*exporter]struct{}{},
	}
	for _, o := range opts {
		o(&p.opts)
	}
	if p.opts.open == nil {
		p.opts.open = registry.Open
	}
	if p.opts.timeout <= 0 {
		p.opts.timeout = 5 * time.Second
	}
	if !p.opts.ruleWaitSet {
		p.opts.ruleWait = DefaultRuleWait
	}
	p.logger = p.opts.logger
	if p.logger == nil {
		p.logger = slog.Default()
	}
	p.logger = p.logger.With("component", "registry-protocol")
	return p
}

// registryURL turns registry://…?registry=x into x://…; other URLs are
// returned as they are.
func registryURL(u *common.URL) *common.URL {
	if u.Protocol() != RegistryScheme {
		return u
	}
	scheme := u.ParamOr(registryParamKey, common.DubboProtocol)
	return u.WithProtocol(scheme).WithoutParams(registryParamKey)
}

// displayURL is a registry URL without its refer and export params, for
// keys, errors and logs.
func displayURL(u *common.URL) *common.URL {
	return u.WithoutParams(common.ReferKey, common.ExportKey)
}

// registry returns the registry for url, opening it on first use.
func (p *Protocol) registry(url *common.URL) (registry.Registry, error) {
	key := displayURL(url).IdentityString()
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.destroyed {
		return nil, ErrDestroyed
	}
	if p.opts.registry != nil {
		return p.opts.registry, nil
	}
	if r := p.registries[key]; r != nil {
		return r, nil
	}
	r, err := p.opts.open(displayURL(url))
	if err != nil {
		return nil, err
	}
	p.registries[key] = r
	return r, nil
}

// Refer refers the service a registry URL describes, as Java's
// RegistryProtocol.doRefer does (directory.md §1): the URL's refer=
// parameter holds the consumer's parameters (interface, group, version,
// check, cluster, …).
//
// Refer registers the consumer URL (category=consumers, check=false)
// unless the interface is * or register=false is set on the registry URL
// or by the consumer; subscribes a new directory to the providers,
// configurators and routers of the service; and joins the directory with
// the cluster named by the consumer's cluster param (default failover;
// mergeable for several groups, when registered). With check=true (the
// default) it fails unless the first notification gave the directory an
// invoker — whether its connection is up yet does not count, since
// protocols connect in the background.
//
// Destroying the returned invoker unregisters the consumer URL,
// unsubscribes and destroys every provider invoker; registry errors then
// are logged. Refer blocks for as long as the registry's Register and
// Subscribe, bounded by ctx.
func (p *Protocol) Refer(ctx context.Context, regURL *common.URL) (rpc.Invoker, error) {
	regURL = registryURL(regURL)
	shown := displayURL(regURL)
	consumer, err := common.ConsumerURLFromRegistry(regURL)
	if err != nil {
		return nil, fmt.Errorf("refer through %s: %w", shown, err)
	}
	key := consumer.ServiceKey()
	if appURL := p.applicationLevel(regURL, consumer); appURL != nil {
		return p.referMigrating(ctx, regURL, appURL, consumer) // migration.go
	}
	s, err := p.referSide(ctx, regURL, consumer, nil)
	if err != nil {
		return nil, err
	}
	invoker := s.invoker

	p.mu.Lock()
	destroyed := p.destroyed
	if !destroyed {
		p.refs[s.dir] = invoker
	}
	p.mu.Unlock()
	if destroyed {
		invoker.Destroy()
		return nil, fmt.Errorf("refer %s through %s: %w", key, shown, ErrDestroyed)
	}

	if consumer.ParamBool(common.CheckKey, true) && !s.dir.HasInvokers() {
		invoker.Destroy()
		return nil, noProviderError(consumer, shown)
	}
	return invoker, nil
}

// noProviderError is Refer's check=true failure, in Java's words.
func noProviderError(consumer, shown *common.URL) error {
	key := consumer.ServiceKey()
	return rpc.NewError(rpc.KindNoProvider, key, "", "", fmt.Sprintf(
		"Failed to check the status of the service %s. No provider available for the service %s from the url %s to the consumer %s use dubbo version %s",
		consumer.ServiceInterface(), key, shown, consumer.Host(), consumer.ParamOr(common.DubboVersionKey, "")), nil)
}

// openError is a registry that could not be opened (unknown scheme, a
// registry the scheme does not support), as opposed to one that failed.
type openError struct{ err error }

func (e *openError) Error() string { return e.err.Error() }
func (e *openError) Unwrap() error { return e.err }

// side is one directory of a reference, joined with its cluster.
type side struct {
	invoker rpc.Invoker                  // the cluster invoker over dir
	dir     *directory.RegistryDirectory // immutable
	url     *common.URL                  // the registry URL, for logs; immutable
}

// referSide registers the consumer in the registry regURL names,
// subscribes a new directory to the service's providers, configurators
// and routers and joins it with the consumer's cluster (Java's doRefer,
// without the check). changed, when not nil, is called after each
// notification the directory took.
func (p *Protocol) referSide(ctx context.Context, regURL, consumer *common.URL, changed func()) (*side, error) {
	shown := displayURL(regURL)
	key := consumer.ServiceKey()
	reg, err := p.registry(regURL)
	if err != nil {
		return nil, fmt.Errorf("refer %s through %s: %w", key, shown, &openError{err})
	}
	cl, err := p.cluster(consumer)
	if err != nil {
		return nil, fmt.Errorf("refer %s through %s: %w", key, shown, err)
	}
	cl = &cluster.Mock{Cluster: cl, Func: p.opts.mockFunc} // Java's MockClusterWrapper

	// consumer://<register.ip>/<interface>?<params minus register.ip>
	base := common.NewURL(common.ConsumerProtocol, consumer.Host(), 0, consumer.ServiceInterface(),
		consumer.WithoutParams(common.RegisterIPKey).Params())
	registered := base.WithParams(map[string]string{
		common.CategoryKey: common.ConsumersCategory,
		common.CheckKey:    "false",
	})
	subscribed := base.WithParam(common.CategoryKey, subscribeCategories)
	register := consumer.ServiceInterface() != common.AnyValue &&
		regURL.ParamBool(common.RegisterKey, true) && consumer.ParamBool(common.RegisterKey, true)

	var dir *directory.RegistryDirectory
	var subscribedOK bool
	var gov *governance // rules from the config center; nil without one
	var listener registry.NotifyListener
	dopts := []directory.Option{
		directory.WithLogger(p.opts.logger),
		directory.WithRegistryURL(shown),
		directory.WithRouters(p.builtinRouters()...),
		directory.WithGroupCluster(p.joinGroup),
		directory.WithOnDestroy(func() {
			if gov != nil {
				gov.close()
			}
			ctx, cancel := context.WithTimeout(context.Background(), p.opts.timeout)
			defer cancel()
			if register {
				if err := reg.Unregister(ctx, registered); err != nil {
					p.logger.Warn("unregister consumer failed", "service", key, "registry", shown, "error", err)
				}
			}
			if subscribedOK {
				if err := reg.Unsubscribe(ctx, subscribed, listener); err != nil {
					p.logger.Warn("unsubscribe failed", "service", key, "registry", shown, "error", err)
				}
			}
			p.mu.Lock()
			delete(p.refs, dir)
			p.mu.Unlock()
		}),
	}
	for name, pr := range p.opts.protocols {
		dopts = append(dopts, directory.WithProtocol(name, pr))
	}
	dir, err = directory.NewRegistry(consumer, dopts...)
	if err != nil {
		return nil, fmt.Errorf("refer %s through %s: %w", key, shown, err)
	}
	if register {
		if err := reg.Register(ctx, registered); err != nil {
			return nil, fmt.Errorf("refer %s: register consumer in %s: %w", key, shown, err)
		}
	}
	listener = dir
	if cc := p.configCenter(underlying(regURL)); cc != nil {
		gov = newGovernance(cc, p.healthOf(cc), dir, consumer, p.logger)
		listener = &governedListener{dir: dir, g: gov}
	}
	if changed != nil {
		listener = &changeListener{next: listener, changed: changed}
	}
	if err := reg.Subscribe(ctx, subscribed, listener); err != nil {
		dir.Destroy()
		return nil, fmt.Errorf("refer %s: subscribe in %s: %w", key, shown, err)
	}
	subscribedOK = true
	if gov != nil {
		gov.wait(ctx, p.opts.ruleWait)
	}
	return &side{invoker: cl.Join(dir), dir: dir, url: shown}, nil
}

// cluster picks the strategy for a consumer.
func (p *Protocol) cluster(consumer *common.URL) (cluster.Cluster, error) {
	if p.opts.cluster != nil {
		return p.opts.cluster, nil
	}
	name := consumer.ParamOr(common.ClusterKey, common.DefaultCluster)
	if directory.IsMultiGroup(consumer) {
		if c, err := cluster.Get(mergeableCluster); err == nil {
			return c, nil
		}
		p.logger.Warn("multi-group reference joined without the mergeable cluster: not registered",
			"service", consumer.ServiceKey(), "cluster", name)
	}
	return cluster.Get(name)
}

// joinGroup joins the directory of one provider group of a multi-group
// reference with the strategy its cluster param names (default failover).
func (p *Protocol) joinGroup(d directory.Directory) rpc.Invoker {
	name := d.URL().ParamOr(common.ClusterKey, common.DefaultCluster)
	c, err := cluster.Get(name)
	if err != nil {
		p.logger.Warn("group joined with failover: unknown cluster", "cluster", name, "error", err)
		c, _ = cluster.Get(common.DefaultCluster)
	}
	return c.Join(d)
}

// Destroy destroys the references still alive, withdraws the exports left
// and closes the registries the Protocol opened. Idempotent; Refer and
// Export fail afterwards.
func (p *Protocol) Destroy() {
	p.mu.Lock()
	if p.destroyed {
		p.mu.Unlock()
		return
	}
	p.destroyed = true
	refs := make([]rpc.Invoker, 0, len(p.migrating)+len(p.refs))
	for m := range p.migrating {
		refs = append(refs, m)
	}
	for _, inv := range p.refs {
		refs = append(refs, inv)
	}
	exports := make([]*exporter, 0, len(p.exports))
	for e := range p.exports {
		exports = append(exports, e)
	}
	regs := p.registries
	p.registries = nil
	p.mu.Unlock()
	for _, inv := range refs {
		inv.Destroy()
	}
	for _, e := range exports {
		e.Unexport()
	}
	for _, r := range regs {
		if err := r.Close(); err != nil {
			p.logger.Warn("close registry failed", "registry", r.URL(), "error", err)
		}
	}
	p.closeConfigCenters()
}
