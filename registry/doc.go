// Package registry holds the Registry and NotifyListener contracts and the
// table of registry implementations by URL scheme (zookeeper, nacos,
// memory).
//
// A registry knows URLs only: it imports common (and protocol for shared
// contracts), never a directory, a router or a cluster. What a registry
// pushes flows one way, to the NotifyListener a directory hands it.
package registry
