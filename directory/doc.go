// Package directory holds the Directory contract — the list of invokers a
// call may use — and its implementations: StaticDirectory over a fixed
// list, and RegistryDirectory fed by a registry's notifications, with
// Java Dubbo 2.7's semantics (configurators, routers, mergeUrl, forbidden
// services) and Dubbo 2.6's per-method invoker map, over immutable
// snapshots read without a lock.
//
// A directory may import common, protocol, router and configurator. It never
// imports a cluster, a load balancer, a registry or config: clusters consume
// directories, not the other way round (a multi-group directory takes its
// per-group cluster as a function, WithGroupCluster), and the layer that
// subscribes a directory to a registry is registry/protocol.
package directory
