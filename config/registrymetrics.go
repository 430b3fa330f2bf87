package config

import (
	"context"
	"reflect"
	"time"

	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/metrics"
	"github.com/fleetrpc/fleet/registry"
)

// notifyRecorder is a subscription's listener, timed: each notification
// is recorded in the metrics with its size and how long the listener (a
// directory) took to apply it.
type notifyRecorder struct {
	next    registry.NotifyListener
	m       *metrics.Metrics // immutable
	service string           // immutable
}

// Notify implements registry.NotifyListener.
func (n *notifyRecorder) Notify(urls []*common.URL) {
	start := time.Now()
	n.next.Notify(urls)
	n.m.RecordNotify(n.service, len(urls), time.Since(start))
}

// Subscribe subscribes through the registry, with the listener timed when
// metrics are on (and the listener comparable, so that Unsubscribe can
// find its wrapper).
func (t *trackedRegistry) Subscribe(ctx context.Context, u *common.URL, l registry.NotifyListener) error {
	if t.metrics == nil || l == nil || !reflect.TypeOf(l).Comparable() {
		return t.Registry.Subscribe(ctx, u, l)
	}
	t.mu.Lock()
	w := t.listeners[l]
	if w == nil {
		w = &notifyRecorder{next: l, m: t.metrics, service: u.ServiceInterface()}
		t.listeners[l] = w
	}
	t.mu.Unlock()
	err := t.Registry.Subscribe(ctx, u, w)
	t.metrics.RecordSubscribe(err)
	return err
}

// Unsubscribe unsubscribes the listener Subscribe gave the registry.
func (t *trackedRegistry) Unsubscribe(ctx context.Context, u *common.URL, l registry.NotifyListener) error {
	if l != nil && reflect.TypeOf(l).Comparable() {
		t.mu.Lock()
		w := t.listeners[l]
		delete(t.listeners, l)
		t.mu.Unlock()
		if w != nil {
			return t.Registry.Unsubscribe(ctx, u, w)
		}
	}
	return t.Registry.Unsubscribe(ctx, u, l)
}
