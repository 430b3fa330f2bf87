// Package protocol refers and exports services through a registry, as Java
// Dubbo's RegistryProtocol does: Refer builds a directory.RegistryDirectory
// for the consumer described by a registry URL's refer= parameter,
// registers the consumer URL, subscribes the directory to the service's
// providers, configurators and routers and joins it with a cluster
// strategy; Export exports an invoker through its own protocol and
// registers the provider URL.
//
// It is the wiring layer above registry, directory and cluster. It is NOT a
// registry implementation and is not registered as one: registry
// implementations (registry/memory, registry/zookeeper, …) never import it.
// It imports common, protocol, registry, directory and cluster.
package protocol
