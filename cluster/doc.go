// Package cluster holds the Cluster contract — join a directory into one
// invoker that chooses, calls and retries providers — its table by name
// (the cluster URL parameter), and the fault-tolerance strategies.
//
// A cluster imports common, protocol, directory and cluster/loadbalance. It
// never imports a registry, a router implementation or config.
package cluster
