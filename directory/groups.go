package directory

import (
	"context"
	"strings"

	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/protocol"
)

// IsMultiGroup reports whether a consumer asks for several groups (group=*
// or a comma list), directory.md §7: its directory returns one invoker per
// group, and its reference joins them with the mergeable cluster.
func IsMultiGroup(consumer *common.URL) bool {
	g := consumer.Group()
	return g == common.AnyValue || strings.IndexByte(g, ',') >= 0
}

// groupInvokers returns list as one invoker per provider group (absent
// group = ""), in order of first appearance, each made by join over a
// groupDirectory; list itself when it spans one group.
func groupInvokers(list []protocol.Invoker, join func(Directory) protocol.Invoker) []protocol.Invoker {
	if len(list) == 0 {
		return list
	}
	var order []string
	byGroup := map[string][]protocol.Invoker{}
	for _, inv := range list {
		g := inv.URL().Group()
		if _, ok := byGroup[g]; !ok {
			order = append(order, g)
		}
		byGroup[g] = append(byGroup[g], inv)
	}
	if len(order) == 1 {
		return list
	}
	out := make([]protocol.Invoker, len(order))
	for i, g := range order {
		out[i] = join(&groupDirectory{invokers: byGroup[g]})
	}
	return out
}

// groupDirectory is the directory of one provider group of a multi-group
// directory: a fixed list it does not own. Its URL is the first provider's
// URL; Destroy does not destroy the providers (the registry directory
// does).
type groupDirectory struct {
	invokers []protocol.Invoker // immutable, non-empty
}

func (g *groupDirectory) URL() *common.URL { return g.invokers[0].URL() }

func (g *groupDirectory) List(context.Context, protocol.Invocation) ([]protocol.Invoker, error) {
	return g.invokers, nil
}

func (g *groupDirectory) IsAvailable() bool {
	for _, inv := range g.invokers {
		if inv.IsAvailable() {
			return true
		}
	}
	return false
}

func (g *groupDirectory) Destroy() {}
