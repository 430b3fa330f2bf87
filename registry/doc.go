// Package registry holds the Registry and NotifyListener contracts, the
// table of registry implementations by URL scheme (zookeeper, memory), and
// what every registry shares:
//
//   - FailbackRegistry (NewFailback), Java's FailbackRegistry: failed
//     register, unregister, subscribe and unsubscribe calls are retried every
//     retry.period until they succeed or the opposite call cancels them;
//   - Snapshot, Java's registry cache file: the last notified lists per
//     service, written atomically, read when subscribing while the registry
//     cannot be reached.
//
// A registry knows URLs only: it imports common (and protocol for shared
// contracts), never a directory, a router or a cluster. What a registry
// pushes flows one way, to the NotifyListener a directory hands it.
// Referring through a registry is wired above, in registry/protocol.
package registry
