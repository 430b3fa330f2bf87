package directory

import (
	"context"
	"fmt"
	"sync/atomic"

	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/protocol"
)

// StaticDirectory is a Directory over a fixed list of invokers, such as the
// providers named by a reference's url parameter.
type StaticDirectory struct {
	url       *common.URL        // immutable
	invokers  []protocol.Invoker // immutable
	destroyed atomic.Bool
}

// NewStatic returns a directory over invokers for the consumer url. The
// directory owns the invokers: Destroy destroys them.
func NewStatic(url *common.URL, invokers []protocol.Invoker) *StaticDirectory {
	return &StaticDirectory{url: url, invokers: append([]protocol.Invoker(nil), invokers...)}
}

// URL implements Directory.
func (d *StaticDirectory) URL() *common.URL { return d.url }

// List implements Directory: every invoker, whatever inv.
func (d *StaticDirectory) List(_ context.Context, inv protocol.Invocation) ([]protocol.Invoker, error) {
	if d.destroyed.Load() {
		return nil, protocol.NewError(protocol.KindNoProvider, d.url.ServiceKey(), inv.MethodName(), "",
			fmt.Sprintf("directory already destroyed, url: %s", d.url), nil)
	}
	return d.invokers, nil
}

// IsAvailable implements Directory.
func (d *StaticDirectory) IsAvailable() bool {
	if d.destroyed.Load() {
		return false
	}
	for _, inv := range d.invokers {
		if inv.IsAvailable() {
			return true
		}
	}
	return false
}

// Destroy implements Directory.
func (d *StaticDirectory) Destroy() {
	if d.destroyed.Swap(true) {
		return
	}
	for _, inv := range d.invokers {
		inv.Destroy()
	}
}
