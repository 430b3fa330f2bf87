package registry

import (
	"context"
	"reflect"

	"github.com/fleetrpc/fleet/common"
)

// Registry is the consumer's and provider's view of a service registry.
//
// All methods are safe for concurrent use. Methods that talk to a server
// take a context that bounds them.
type Registry interface {
	// URL is the registry's own URL (zookeeper://host:port?…).
	URL() *common.URL

	// Register publishes url (a provider or consumer URL; its category
	// param, default providers, says where). Registering the same URL
	// twice is a no-op.
	Register(ctx context.Context, url *common.URL) error
	// Unregister withdraws a URL this registry registered; an unknown URL
	// is a no-op.
	Unregister(ctx context.Context, url *common.URL) error

	// Subscribe starts notifying listener of the URLs matching url (a
	// consumer URL whose category param lists the categories wanted, e.g.
	// providers,configurators,routers; interface * for every service),
	// with Java Dubbo's matching rules (common.IsMatch).
	//
	// Before Subscribe returns, listener has been notified once for every
	// subscribed category (when the registry can be read). After that it is
	// notified on every change. Notifications to one listener never overlap
	// and arrive in order.
	Subscribe(ctx context.Context, url *common.URL, listener NotifyListener) error
	// Unsubscribe stops notifying listener for url. After it returns no new
	// notification starts.
	Unsubscribe(ctx context.Context, url *common.URL, listener NotifyListener) error

	// Lookup returns the URLs that Subscribe would notify for url now,
	// without empty:// placeholders.
	Lookup(ctx context.Context, url *common.URL) ([]*common.URL, error)

	// Close withdraws what this registry registered, ends every
	// subscription and releases the connection. Idempotent.
	Close() error
}

// NotifyListener receives what a registry pushes.
//
// Each call carries the full current list of one category of one service:
// providers, configurators or routers. An empty category arrives as a
// single empty:// URL carrying that category (and the service's interface,
// group and version), exactly as Java Dubbo sends it.
//
// Calls for one subscription never overlap. The listener owns the slice it
// is given; the URLs are immutable and shared. Notify must not call back
// into the registry's Subscribe or Unsubscribe for the same subscription.
type NotifyListener interface {
	Notify(urls []*common.URL)
}

// NotifyFunc adapts a function to a NotifyListener. A NotifyFunc is not
// comparable: Unsubscribe with a *NotifyFunc or another comparable value
// when a listener must be removed.
type NotifyFunc func(urls []*common.URL)

// Notify implements NotifyListener.
func (f NotifyFunc) Notify(urls []*common.URL) { f(urls) }

// SameListener reports whether a and b are the same listener. Listeners of
// types that are not comparable (a NotifyFunc) are never the same as
// anything, so they cannot be unsubscribed individually.
func SameListener(a, b NotifyListener) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	if !reflect.TypeOf(a).Comparable() || !reflect.TypeOf(b).Comparable() {
		return false
	}
	return a == b
}
