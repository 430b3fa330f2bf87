package cluster

import (
	"fmt"
	"sort"
	"sync"

	"github.com/fleetrpc/fleet/directory"
	"github.com/fleetrpc/fleet/protocol"
)

// Cluster is a fault-tolerance strategy (failover, failfast, …).
type Cluster interface {
	// Join returns an invoker that serves each call from the invokers dir
	// lists, with this strategy. The invoker's URL is dir's URL; destroying
	// it destroys dir.
	Join(dir directory.Directory) protocol.Invoker
}

var (
	clustersMu sync.RWMutex
	clusters   = map[string]Cluster{}
)

// Register makes a strategy available under name (the cluster param). It
// panics on nil or a duplicate.
func Register(name string, c Cluster) {
	clustersMu.Lock()
	defer clustersMu.Unlock()
	if c == nil {
		panic("cluster: Register cluster is nil")
	}
	if _, dup := clusters[name]; dup {
		panic("cluster: Register called twice for cluster " + name)
	}
	clusters[name] = c
}

// Get returns the strategy registered under name.
func Get(name string) (Cluster, error) {
	clustersMu.RLock()
	c, ok := clusters[name]
	clustersMu.RUnlock()
	if !ok {
		return nil, fmt.Errorf("cluster: unknown cluster %q", name)
	}
	return c, nil
}

// Names lists the registered strategies, sorted.
func Names() []string {
	clustersMu.RLock()
	defer clustersMu.RUnlock()
	names := make([]string, 0, len(clusters))
	for n := range clusters {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
