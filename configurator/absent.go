package configurator

import "github.com/fleetrpc/fleet/common"

// Absent is an absent:// rule: the parameters it carries (minus its
// condition keys) are added to every URL it applies to that lacks them.
type Absent struct{ rule }

// NewAbsent compiles an absent rule; localHost is as for NewOverride.
func NewAbsent(u *common.URL, localHost string) *Absent {
	return &Absent{newRule(u, localHost)}
}

// URL implements Configurator.
func (a *Absent) URL() *common.URL { return a.url }

// Configure implements Configurator.
func (a *Absent) Configure(u *common.URL) *common.URL {
	if !a.applies(u) {
		return u
	}
	return u.WithParamsIfAbsent(a.params)
}
