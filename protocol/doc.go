// Package protocol holds the contracts every call travels through: Invoker,
// Invocation, Result, Protocol, Exporter and Filter, together with fleet's RPC
// error kinds (business, network, timeout, forbidden/no provider,
// serialization, limit).
//
// Everything in fleet may import protocol and common. protocol itself imports
// only common: never a registry, a directory, a router or a cluster.
package protocol
