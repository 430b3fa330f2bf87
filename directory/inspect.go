package directory

import (
	"slices"

	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/protocol"
	"github.com/fleetrpc/fleet/router"
)

// The accessors below are read-only views for tools and admin pages (the
// admin endpoint's snapshot, metrics); none is on the call path.

// RegistryURL is the registry the directory was made for (WithRegistryURL);
// nil when none was given.
func (d *RegistryDirectory) RegistryURL() *common.URL { return d.opts.registryURL }

// Chain returns the router chain of the current snapshot: every router in
// force, built-in, from the registry's route:// URLs and from a config
// center, over the current invokers; nil when there is no router. The
// chain is immutable.
func (d *RegistryDirectory) Chain() *router.Chain { return d.snap.Load().chain }

// Rules returns the rules in force: the configurators (the registry's
// override:// URLs, then the config center's, application-level first) as
// their URLs, and the routers the registry's route:// URLs and the config
// center gave (not the built-in ones). Both are copies. It takes the
// update lock, so it waits for a notification being applied.
func (d *RegistryDirectory) Rules() (configurators []*common.URL, routers []router.Router) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, c := range d.applied {
		configurators = append(configurators, c.URL())
	}
	routers = append(slices.Clone(d.routers), d.dynRouters...)
	return configurators, routers
}

// Explain explains a call of inv over the current snapshot as List would
// route it: the invokers the per-method map lists for inv, through the
// current chain, one step per router (router.Chain.Explain). It fails as
// List does while the service is forbidden or after Destroy. A
// multi-group directory is explained over every invoker of every group.
func (d *RegistryDirectory) Explain(inv protocol.Invocation) (router.Explanation, error) {
	if inv == nil {
		inv = protocol.NewInvocation("")
	}
	s := d.snap.Load()
	if s.err != nil {
		return router.Explanation{Consumer: s.url}, s.err
	}
	candidates := s.methods.lookup(inv).invokers
	if d.multiGroup {
		candidates = s.invokers
	}
	if s.chain == nil {
		return router.Explanation{Consumer: s.url, Method: protocol.RealMethodName(inv),
			Candidates: candidates, Reached: candidates}, nil
	}
	return s.chain.Explain(candidates, inv), nil
}
