package registry

import (
	"fmt"
	"sort"
	"sync"

	"github.com/fleetrpc/fleet/common"
)

// Factory opens a registry for a registry URL.
type Factory func(url *common.URL) (Registry, error)

var (
	factoriesMu sync.RWMutex
	factories   = map[string]Factory{}
)

// Register makes a registry implementation available for URLs of the given
// scheme ("zookeeper", "memory"). It panics when f is nil or the scheme is
// taken.
func Register(scheme string, f Factory) {
	factoriesMu.Lock()
	defer factoriesMu.Unlock()
	if f == nil {
		panic("registry: Register factory is nil")
	}
	if _, dup := factories[scheme]; dup {
		panic("registry: Register called twice for scheme " + scheme)
	}
	factories[scheme] = f
}

// Open opens the registry url names, through the factory registered for its
// protocol.
func Open(url *common.URL) (Registry, error) {
	factoriesMu.RLock()
	f, ok := factories[url.Protocol()]
	factoriesMu.RUnlock()
	if !ok {
		return nil, fmt.Errorf("registry: unknown registry %q in %s (forgotten import?)", url.Protocol(), url)
	}
	r, err := f(url)
	if err != nil {
		return nil, fmt.Errorf("registry: open %s: %w", url, err)
	}
	return r, nil
}

// Schemes lists the registered schemes, sorted.
func Schemes() []string {
	factoriesMu.RLock()
	defer factoriesMu.RUnlock()
	names := make([]string, 0, len(factories))
	for n := range factories {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
