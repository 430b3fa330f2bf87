package cluster

import (
	"github.com/fleetrpc/fleet/directory"
	"github.com/fleetrpc/fleet/internal/extension"
	"github.com/fleetrpc/fleet/protocol"
)

// Cluster is a fault-tolerance strategy (failover, failfast, …).
type Cluster interface {
	// Join returns an invoker that serves each call from the invokers dir
	// lists, with this strategy. The invoker's URL is dir's URL; destroying
	// it destroys dir.
	Join(dir directory.Directory) protocol.Invoker
}

var clusters = extension.New[Cluster]("cluster", "cluster")

// Register makes a strategy available under name (the cluster param). It
// panics on nil or a duplicate.
func Register(name string, c Cluster) { clusters.Register(name, c) }

// Get returns the strategy registered under name.
func Get(name string) (Cluster, error) { return clusters.Get(name) }

// Names lists the registered strategies, sorted.
func Names() []string { return clusters.Names() }
