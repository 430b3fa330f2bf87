package zookeeper

import "github.com/fleetrpc/fleet/registry"

// Stats implements registry.StatsReporter: whether a session is up and how
// many sessions expired and were replaced since New. The failback wrapper
// the "zookeeper" scheme opens adds its retry queue.
func (r *Registry) Stats() registry.Stats {
	return registry.Stats{Session: true, Connected: r.connected.Load(), SessionExpiries: r.expiries.Load()}
}
