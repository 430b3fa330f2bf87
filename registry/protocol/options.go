package protocol

import (
	"log/slog"
	"time"

	"github.com/fleetrpc/fleet/cluster"
	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/configcenter"
	rpc "github.com/fleetrpc/fleet/protocol"
	"github.com/fleetrpc/fleet/registry"
	"github.com/fleetrpc/fleet/router"
	"github.com/fleetrpc/fleet/router/tag"
)

// Option configures a Protocol.
type Option func(*options)

type options struct {
	logger    *slog.Logger
	open      func(*common.URL) (registry.Registry, error)
	registry  registry.Registry
	protocols map[string]rpc.Protocol
	cluster   cluster.Cluster
	routers   []router.Router
	mockFunc  cluster.MockFunc
	timeout   time.Duration

	// config center (governance.go)
	center      configcenter.ConfigCenter
	centerURL   *common.URL
	noCenter    bool
	ruleWait    time.Duration
	ruleWaitSet bool
}

// WithLogger sets the logger; nil means slog.Default().
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.logger = l } }

// WithRegistry makes every Refer and Export use r, whatever the registry
// URL's scheme. The Protocol does not own r: Destroy does not close it.
func WithRegistry(r registry.Registry) Option { return func(o *options) { o.registry = r } }

// WithRegistryOpener opens registries with open instead of registry.Open.
// The Protocol owns what open returns and closes it on Destroy.
func WithRegistryOpener(open func(*common.URL) (registry.Registry, error)) Option {
	return func(o *options) { o.open = open }
}

// WithProtocol refers and exports URLs of protocol name through p, ahead
// of the protocol registered under that name.
func WithProtocol(name string, p rpc.Protocol) Option {
	return func(o *options) {
		if o.protocols == nil {
			o.protocols = map[string]rpc.Protocol{}
		}
		o.protocols[name] = p
	}
}

// WithCluster joins every referred directory with c instead of the
// strategy named by the consumer's cluster param.
func WithCluster(c cluster.Cluster) Option { return func(o *options) { o.cluster = c } }

// WithRouters gives every directory these built-in routers, besides the
// mock router and the static tag router every directory has; a router of
// a built-in's kind (router.Kinded, a tag router) takes its place.
func WithRouters(rs ...router.Router) Option {
	return func(o *options) { o.routers = append(o.routers, rs...) }
}

// WithMockFunc sets the Go mock of every reference: what a degraded call
// returns when the mock param is true, default, fail or force (see
// cluster.Mock).
func WithMockFunc(fn cluster.MockFunc) Option { return func(o *options) { o.mockFunc = fn } }

// builtinRouters are the routers of every directory's chain: Java's
// built-ins (mock, tag), then those of WithRouters.
func (p *Protocol) builtinRouters() []router.Router {
	return router.Replace([]router.Router{router.Mock(), tag.Static()}, p.opts.routers)
}

// WithRegistryTimeout bounds the registry calls Destroy and Unexport make
// (unregister, unsubscribe); default 5s.
func WithRegistryTimeout(d time.Duration) Option { return func(o *options) { o.timeout = d } }
