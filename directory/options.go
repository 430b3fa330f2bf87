package directory

import (
	"log/slog"

	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/protocol"
	"github.com/fleetrpc/fleet/router"
)

// Option configures a RegistryDirectory.
type Option func(*options)

type options struct {
	logger          *slog.Logger
	protocols       map[string]protocol.Protocol
	groupCluster    func(Directory) protocol.Invoker
	routers         []router.Router
	onDestroy       []func()
	registryURL     *common.URL
	emptyProtection bool
}

// WithEmptyProtection makes the directory ignore an empty:// providers push
// while it has invokers, keeping the last list instead of forbidding the
// service (Dubbo 3's enable-empty-protection). Off by default: Dubbo 2.7
// honours the push.
func WithEmptyProtection(on bool) Option { return func(o *options) { o.emptyProtection = on } }

// WithLogger sets the logger; nil means slog.Default().
func WithLogger(l *slog.Logger) Option { return func(o *options) { o.logger = l } }

// WithProtocol refers provider URLs of protocol name through p, ahead of
// the protocol registered under that name (protocol.Get).
func WithProtocol(name string, p protocol.Protocol) Option {
	return func(o *options) {
		if o.protocols == nil {
			o.protocols = map[string]protocol.Protocol{}
		}
		o.protocols[name] = p
	}
}

// WithProtocols is WithProtocol for each entry of ps.
func WithProtocols(ps map[string]protocol.Protocol) Option {
	return func(o *options) {
		for name, p := range ps {
			WithProtocol(name, p)(o)
		}
	}
}

// WithGroupCluster sets how a multi-group directory (group=* or a,b) joins
// the invokers of one provider group into one invoker: join gets a
// directory over that group's invokers, whose URL is the group's first
// provider URL (so its cluster param names the strategy). The directory
// does not own what join returns and never destroys it; the group
// directory's Destroy does not destroy the providers either. Without it a
// multi-group directory lists the plain invokers.
func WithGroupCluster(join func(Directory) protocol.Invoker) Option {
	return func(o *options) { o.groupCluster = join }
}

// WithRouters adds built-in routers (mock, tag, …) that every chain of the
// directory holds besides the routers the registry pushes.
func WithRouters(rs ...router.Router) Option {
	return func(o *options) { o.routers = append(o.routers, rs...) }
}

// WithOnDestroy adds fn to what Destroy does first, before it marks the
// directory destroyed and destroys the invokers: the layer that subscribed
// the directory unregisters and unsubscribes there. fn runs once, on the
// goroutine calling Destroy, without the directory's lock held, so it may
// wait for an in-flight Notify to end.
func WithOnDestroy(fn func()) Option {
	return func(o *options) { o.onDestroy = append(o.onDestroy, fn) }
}

// WithRegistryURL names the registry the directory is fed from, for errors
// (the forbidden error names its address).
func WithRegistryURL(u *common.URL) Option { return func(o *options) { o.registryURL = u } }
