package router

import (
	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/internal/extension"
	"github.com/fleetrpc/fleet/protocol"
)

// Router narrows the providers one call may reach.
//
// A Router is immutable: a changed rule builds a new Router. Route is on the
// call path and safe for concurrent use.
type Router interface {
	// URL is the rule's URL (route://…, condition://…), or nil for a
	// built-in router.
	URL() *common.URL
	// Priority orders routers in a chain: a lower priority runs first.
	Priority() int
	// Route returns the invokers of invokers that a call inv from the
	// consumer may reach. It must not modify invokers; it may return it
	// unchanged. An error leaves the list unrouted (the caller logs it).
	Route(invokers []protocol.Invoker, consumer *common.URL, inv protocol.Invocation) ([]protocol.Invoker, error)
}

// Factory builds a Router from a rule URL. A rule that does not parse is an
// error naming the rule and what is wrong in it.
type Factory func(rule *common.URL) (Router, error)

var factories = extension.New[Factory]("router", "router")

// Register makes a router type available by name (the router param or the
// protocol of a rule URL: "condition"). It panics on nil or a duplicate.
func Register(name string, f Factory) { factories.Register(name, f) }

// Get returns the factory registered under name.
func Get(name string) (Factory, error) { return factories.Get(name) }

// Names lists the registered router types, sorted.
func Names() []string { return factories.Names() }
