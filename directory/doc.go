// Package directory holds the Directory contract — the list of invokers a
// call may use — and its implementations: StaticDirectory over a fixed
// list, and (later) RegistryDirectory fed by a registry.
//
// A directory may import common, protocol, router and configurator. It never
// imports a cluster, a load balancer or config: clusters consume
// directories, not the other way round.
package directory
