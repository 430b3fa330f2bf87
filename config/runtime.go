package config

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/fleetrpc/fleet/cluster"
	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/directory"
	"github.com/fleetrpc/fleet/metrics"
	"github.com/fleetrpc/fleet/protocol"
	"github.com/fleetrpc/fleet/protocol/service"
	regprotocol "github.com/fleetrpc/fleet/registry/protocol"
)

// Runtime refers and exports the services a configuration describes. It
// owns the registries it opens (through a registry protocol), the references
// and the exports: Close releases them all.
type Runtime struct {
	cfg     *Config               // immutable
	reg     *regprotocol.Protocol // immutable
	logger  *slog.Logger
	localIP string

	// Observability, all immutable: the metrics (nil when off) and the
	// filters of references, attempts and services.
	metrics        *metrics.Metrics
	metricsErr     error
	refFilters     []protocol.Filter
	attemptFilters []protocol.Filter
	serviceFilters []protocol.Filter

	startOnce sync.Once
	startErr  error // set once by start

	providers providerSet // the provider invokers referred, for Providers; its own lock

	mu          sync.Mutex // guards the fields below
	refs        []*Reference
	exporters   []protocol.Exporter
	exported    []*exported
	registries  []*trackedRegistry
	metricsSrv  *http.Server
	metricsLn   net.Listener
	metricsDone chan struct{} // closed when the metrics server stops
	closed      bool
}

// RuntimeOption configures a Runtime.
type RuntimeOption func(*runtimeOptions)

type runtimeOptions struct {
	logger  *slog.Logger
	regOpts []regprotocol.Option
	localIP string

	refFilters, attemptFilters, serviceFilters []protocol.Filter
}

// WithRuntimeLogger sets the logger (default slog.Default()).
func WithRuntimeLogger(l *slog.Logger) RuntimeOption {
	return func(o *runtimeOptions) { o.logger = l }
}

// WithRegistryProtocolOptions passes options to the registry protocol the
// runtime refers and exports through (registries, protocols, clusters given
// as values).
func WithRegistryProtocolOptions(opts ...regprotocol.Option) RuntimeOption {
	return func(o *runtimeOptions) { o.regOpts = append(o.regOpts, opts...) }
}

// WithLocalIP sets the address the runtime registers consumers and providers
// under (default: the first non-loopback IPv4 address, else 127.0.0.1).
func WithLocalIP(ip string) RuntimeOption { return func(o *runtimeOptions) { o.localIP = ip } }

// NewRuntime returns a runtime for cfg. It opens nothing until the first
// Refer or Export.
func NewRuntime(cfg *Config, opts ...RuntimeOption) *Runtime {
	o := runtimeOptions{logger: slog.Default()}
	for _, opt := range opts {
		opt(&o)
	}
	if o.localIP == "" {
		o.localIP = LocalIP()
	}
	rt := &Runtime{cfg: cfg, logger: o.logger.With("component", "config"), localIP: o.localIP,
		refFilters: o.refFilters, attemptFilters: o.attemptFilters, serviceFilters: o.serviceFilters}
	rt.metrics, rt.metricsErr = newMetrics(cfg, o.localIP)
	if call, attempt, service := tracingFilters(cfg); call != nil {
		rt.refFilters = append([]protocol.Filter{call}, rt.refFilters...)
		rt.attemptFilters = append([]protocol.Filter{attempt}, rt.attemptFilters...)
		rt.serviceFilters = append([]protocol.Filter{service}, rt.serviceFilters...)
	}
	if rt.metrics != nil {
		rt.refFilters = append([]protocol.Filter{rt.metrics.ConsumerFilter()}, rt.refFilters...)
		rt.serviceFilters = append([]protocol.Filter{rt.metrics.ProviderFilter()}, rt.serviceFilters...)
	}
	// The runtime's own come first: options given by the caller win.
	regOpts := []regprotocol.Option{regprotocol.WithLogger(o.logger), regprotocol.WithRegistryOpener(rt.openRegistry)}
	for _, name := range protocol.Protocols() {
		if p, err := protocol.Get(name); err == nil {
			regOpts = append(regOpts, regprotocol.WithProtocol(name, filteredProtocol{p: p, wrap: rt.wrapProvider}))
		}
	}
	regOpts = append(regOpts, configCenterOptions(cfg)...)
	rt.reg = regprotocol.New(append(regOpts, o.regOpts...)...)
	return rt
}

// ErrClosed is returned by a closed Runtime.
var ErrClosed = errors.New("config: runtime closed")

// Refer refers the reference named name in dubbo.consumer.references.
//
// With a url setting it calls those providers directly (a static
// directory joined with the reference's cluster); otherwise it refers
// through each registry of the reference (registry-ids, else the
// consumer's, else all), joining several registries with the zone-aware
// cluster, as Java Dubbo does. Proxies, when given, are bound to the
// reference and their method names sent as the methods param.
func (rt *Runtime) Refer(ctx context.Context, name string, proxies ...any) (*Reference, error) {
	rc, ok := rt.cfg.Consumer.References[name]
	if !ok {
		return nil, fmt.Errorf("config: no reference %q in dubbo.consumer.references (have %v)", name, sortedKeys(rt.cfg.Consumer.References))
	}
	var methods []string
	for _, p := range proxies {
		names, err := ProxyMethodNames(p)
		if err != nil {
			return nil, err
		}
		methods = append(methods, names...)
	}
	params := rt.cfg.ConsumerParams(rc, dedupe(methods))
	params["register.ip"] = rt.localIP
	params[common.TimestampKey] = strconv.FormatInt(time.Now().UnixMilli(), 10)

	rt.mu.Lock()
	closed := rt.closed
	rt.mu.Unlock()
	if closed {
		return nil, ErrClosed
	}
	if err := rt.start(); err != nil {
		return nil, err
	}

	var (
		invoker protocol.Invoker
		err     error
	)
	if urls := splitURLs(rc.URL); len(urls) > 0 {
		invoker, err = rt.referDirect(rc, urls, params)
	} else {
		invoker, err = rt.referRegistries(ctx, rc, params)
	}
	if err != nil {
		return nil, err
	}
	invoker = protocol.WithFilters(invoker, rt.refFilters...)
	ref := NewReference(name, invoker)
	for _, p := range proxies {
		if err := ref.Bind(p); err != nil {
			invoker.Destroy()
			return nil, err
		}
	}
	rt.mu.Lock()
	defer rt.mu.Unlock()
	if rt.closed {
		invoker.Destroy()
		return nil, ErrClosed
	}
	rt.refs = append(rt.refs, ref)
	return ref, nil
}

// Refer refers one reference of cfg on a runtime of its own, which the
// reference's Destroy closes: the short way for a program with one
// reference. Proxies are bound as Runtime.Refer binds them. Programs with
// several references share one Runtime (and its registry connections).
func Refer(ctx context.Context, cfg *Config, name string, proxies ...any) (*Reference, error) {
	rt := NewRuntime(cfg)
	ref, err := rt.Refer(ctx, name, proxies...)
	if err != nil {
		rt.Close()
		return nil, err
	}
	return &Reference{name: ref.name, invoker: ref.invoker, release: rt.Close}, nil
}

// ReferProxy refers the reference a dubbo-go proxy struct names with its
// Reference method and binds the proxy to it.
func (rt *Runtime) ReferProxy(ctx context.Context, proxy RPCService) (*Reference, error) {
	return rt.Refer(ctx, proxy.Reference(), proxy)
}

func (rt *Runtime) referDirect(rc *ReferenceConfig, urls []string, params map[string]string) (protocol.Invoker, error) {
	consumer := common.NewURL("consumer", rt.localIP, 0, rc.Interface, params)
	var invokers []protocol.Invoker
	destroyAll := func() {
		for _, inv := range invokers {
			inv.Destroy()
		}
	}
	for _, raw := range urls {
		u, err := common.Parse(raw)
		if err != nil {
			destroyAll()
			return nil, fmt.Errorf("config: reference %s: url: %w", rc.Name, err)
		}
		if u.Path() == "" {
			u = u.WithPath(rc.Interface)
		}
		// The provider address and protocol come from the URL, the rest from
		// the reference, as Java merges a direct URL with the consumer's.
		u = u.WithParams(params)
		p, err := protocol.Get(u.Protocol())
		if err != nil {
			destroyAll()
			return nil, fmt.Errorf("config: reference %s: %w", rc.Name, err)
		}
		inv, err := p.Refer(u)
		if err != nil {
			destroyAll()
			return nil, fmt.Errorf("config: reference %s: refer %s: %w", rc.Name, u, err)
		}
		invokers = append(invokers, rt.wrapProvider(inv))
	}
	c, err := cluster.Get(consumer.ParamOr(common.ClusterKey, common.DefaultCluster))
	if err != nil {
		destroyAll()
		return nil, fmt.Errorf("config: reference %s: %w", rc.Name, err)
	}
	return c.Join(directory.NewStatic(consumer, invokers)), nil
}

func (rt *Runtime) referRegistries(ctx context.Context, rc *ReferenceConfig, params map[string]string) (protocol.Invoker, error) {
	ids := rc.RegistryIDs
	if len(ids) == 0 {
		ids = rt.cfg.Consumer.RegistryIDs
	}
	regURLs, err := rt.cfg.ReferRegistryURLs(ids) // discovery.go: registry-type
	if err != nil {
		return nil, err
	}
	if len(regURLs) == 0 {
		return nil, fmt.Errorf("config: reference %s: no registry and no url: configure dubbo.registries or a url", rc.Name)
	}
	refer := common.Encode(common.ToQueryString(params))
	var invokers []protocol.Invoker
	for _, reg := range regURLs {
		inv, err := rt.reg.Refer(ctx, reg.WithParam(common.ReferKey, refer))
		if err != nil {
			for _, i := range invokers {
				i.Destroy()
			}
			return nil, fmt.Errorf("config: reference %s: %w", rc.Name, err)
		}
		invokers = append(invokers, inv)
	}
	if len(invokers) == 1 {
		return invokers[0], nil
	}
	zoneAware, err := cluster.Get("zone-aware")
	if err != nil {
		return nil, fmt.Errorf("config: reference %s: several registries need the zone-aware cluster: %w", rc.Name, err)
	}
	consumer := common.NewURL("consumer", rt.localIP, 0, rc.Interface, params)
	return zoneAware.Join(directory.NewStatic(consumer, invokers)), nil
}

// Export exports impl as the service named name in dubbo.provider.services,
// on each of its protocols (protocol-ids, else the provider's, else every
// protocol; dubbo on port 20880 when none is configured) and registers it
// in its registry (registry-ids, else the provider's, else the only one).
// Without a registry the service is only exported; with more than one,
// Export fails (not supported yet).
func (rt *Runtime) Export(ctx context.Context, name string, impl any) error {
	sc, ok := rt.cfg.Provider.Services[name]
	if !ok {
		return fmt.Errorf("config: no service %q in dubbo.provider.services (have %v)", name, sortedKeys(rt.cfg.Provider.Services))
	}
	if err := rt.start(); err != nil {
		return err
	}
	protocols, err := rt.serviceProtocols(sc)
	if err != nil {
		return err
	}
	ids := sc.RegistryIDs
	if len(ids) == 0 {
		ids = rt.cfg.Provider.RegistryIDs
	}
	perRegistry, err := rt.cfg.ExportRegistryURLs(ids) // discovery.go: registry-type, register-mode
	if err != nil {
		return err
	}
	if len(perRegistry) > 1 {
		return fmt.Errorf("config: service %s: exporting one service into %d registries is not supported yet; set registry-ids to one", name, len(perRegistry))
	}
	var regURLs []*common.URL // one registry's interface- and/or application-level URLs
	if len(perRegistry) == 1 {
		regURLs = perRegistry[0]
	}
	record := &exported{name: name}
	for _, pc := range protocols {
		u, err := rt.providerURL(sc, pc, impl)
		if err != nil {
			return err
		}
		record.key = u.ServiceKey()
		record.urls = append(record.urls, u)
		raw, err := service.New(u, impl)
		if err != nil {
			return fmt.Errorf("config: service %s: %w", name, err)
		}
		svc := rt.wrapService(raw)
		var exps []protocol.Exporter
		if len(regURLs) == 0 {
			p, err := protocol.Get(u.Protocol())
			if err != nil {
				return fmt.Errorf("config: service %s: %w", name, err)
			}
			exp, err := p.Export(svc)
			if err != nil {
				return fmt.Errorf("config: service %s: %w", name, err)
			}
			exps = append(exps, exp)
		}
		for _, reg := range regURLs {
			exp, err := rt.reg.Export(ctx, reg, svc)
			if err != nil {
				for _, e := range exps {
					e.Unexport()
				}
				return fmt.Errorf("config: service %s: %w", name, err)
			}
			exps = append(exps, exp)
		}
		rt.mu.Lock()
		rt.exporters = append(rt.exporters, exps...)
		rt.mu.Unlock()
	}
	rt.mu.Lock()
	rt.exported = append(rt.exported, record)
	rt.mu.Unlock()
	return nil
}

func (rt *Runtime) serviceProtocols(sc *ServiceConfig) ([]*ProtocolConfig, error) {
	ids := sc.ProtocolIDs
	if len(ids) == 0 {
		ids = rt.cfg.Provider.ProtocolIDs
	}
	if len(ids) == 0 {
		ids = sortedKeys(rt.cfg.Protocols)
	}
	if len(ids) == 0 {
		return []*ProtocolConfig{{Name: "dubbo", Port: "20880"}}, nil
	}
	out := make([]*ProtocolConfig, 0, len(ids))
	for _, id := range ids {
		pc, ok := rt.cfg.Protocols[id]
		if !ok || pc == nil {
			return nil, fmt.Errorf("config: service %s: no protocol %q in dubbo.protocols", sc.Name, id)
		}
		if pc.Name == "" {
			c := *pc
			c.Name = id
			pc = &c
		}
		out = append(out, pc)
	}
	return out, nil
}

// providerURL is the URL a service is exported and registered under, with
// the parameters a Java provider registers.
func (rt *Runtime) providerURL(sc *ServiceConfig, pc *ProtocolConfig, impl any) (*common.URL, error) {
	probe, err := service.New(common.NewURL(pc.Name, "", 0, sc.Interface, nil), impl)
	if err != nil {
		return nil, fmt.Errorf("config: service %s: %w", sc.Name, err)
	}
	var methods []string
	for _, m := range probe.MethodNames() {
		methods = append(methods, service.JavaName(m))
	}
	port, _ := strconv.Atoi(pc.Port)
	ip := pc.IP
	if ip == "" {
		ip = rt.localIP
	}
	params := map[string]string{
		common.InterfaceKey: sc.Interface,
		common.MethodsKey:   strings.Join(dedupe(methods), ","),
		common.SideKey:      "provider",
		"anyhost":           "true",
		"dynamic":           "true",
		"deprecated":        "false",
		"generic":           "false",
		"dubbo":             DubboProtocolVersion,
		"release":           Release,
		"pid":               strconv.Itoa(os.Getpid()),
		common.TimestampKey: strconv.FormatInt(time.Now().UnixMilli(), 10),
	}
	set := func(k, v string) {
		if v = strings.TrimSpace(v); v != "" {
			params[k] = v
		}
	}
	set(common.ApplicationKey, rt.cfg.Application.Name)
	set(common.GroupKey, sc.Group)
	set(common.VersionKey, sc.Version)
	set(common.ClusterKey, sc.Cluster)
	set(common.LoadbalanceKey, sc.Loadbalance)
	set(common.RetriesKey, sc.Retries)
	set(common.WeightKey, sc.Weight)
	set("token", sc.Token)
	set("serialization", sc.Serialization)
	if ms, _ := millis(sc.Timeout); ms > 0 {
		params[common.TimeoutKey] = strconv.FormatInt(ms, 10)
	}
	if ms, _ := millis(sc.Warmup); ms > 0 {
		params[common.WarmupKey] = strconv.FormatInt(ms, 10)
	}
	for _, m := range sc.Methods {
		setMethod(params, m)
	}
	for k, v := range pc.Params {
		params[k] = v
	}
	for k, v := range sc.Params {
		params[k] = v
	}
	return common.NewURL(pc.Name, ip, port, sc.Interface, params), nil
}

// Close destroys the references, withdraws the exports and closes the
// registries. Idempotent.
func (rt *Runtime) Close() {
	rt.mu.Lock()
	if rt.closed {
		rt.mu.Unlock()
		return
	}
	rt.closed = true
	refs, exps := rt.refs, rt.exporters
	rt.refs, rt.exporters = nil, nil
	rt.mu.Unlock()
	for _, r := range refs {
		r.Destroy()
	}
	for _, e := range exps {
		e.Unexport()
	}
	rt.reg.Destroy()
	rt.stopServers()
}

func dedupe(names []string) []string {
	seen := map[string]bool{}
	out := names[:0:0]
	for _, n := range names {
		if !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	return out
}

// LocalIP is the address a consumer or provider of this machine registers
// under and that rules match as its host: the first non-loopback IPv4
// address of the machine, else 127.0.0.1. Tools that must see what a
// Runtime sees (fleet route) use it too.
func LocalIP() string {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return "127.0.0.1"
	}
	for _, a := range addrs {
		if ipn, ok := a.(*net.IPNet); ok && !ipn.IP.IsLoopback() {
			if ip4 := ipn.IP.To4(); ip4 != nil {
				return ip4.String()
			}
		}
	}
	return "127.0.0.1"
}
