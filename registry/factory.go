package registry

import (
	"fmt"

	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/internal/extension"
)

// Factory opens a registry for a registry URL.
type Factory func(url *common.URL) (Registry, error)

var factories = extension.New[Factory]("registry", "registry")

// Register makes a registry implementation available for URLs of the given
// scheme ("zookeeper", "memory"). It panics when f is nil or the scheme is
// taken.
func Register(scheme string, f Factory) { factories.Register(scheme, f) }

// Open opens the registry url names, through the factory registered for its
// protocol.
func Open(url *common.URL) (Registry, error) {
	f, err := factories.Get(url.Protocol())
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", url, err)
	}
	r, err := f(url)
	if err != nil {
		return nil, fmt.Errorf("registry: open %s: %w", url, err)
	}
	return r, nil
}

// Schemes lists the registered schemes, sorted.
func Schemes() []string { return factories.Names() }
