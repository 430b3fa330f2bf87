package protocol

import (
	"sort"

	"github.com/fleetrpc/fleet/configcenter"
)

// ConfigCenters lists the config centers the Protocol reads governance
// rules from: WithConfigCenter's, and those it opened, sorted by URL. For
// metrics and tools; the caller must not close them.
func (p *Protocol) ConfigCenters() []configcenter.ConfigCenter {
	var out []configcenter.ConfigCenter
	if p.opts.center != nil {
		out = append(out, p.opts.center)
	}
	c := &p.centers
	c.mu.Lock()
	for _, cc := range c.m {
		out = append(out, cc)
	}
	c.mu.Unlock()
	sort.Slice(out, func(i, j int) bool { return out[i].URL().String() < out[j].URL().String() })
	return out
}
