package configurator

import "github.com/fleetrpc/fleet/common"

// Override is an override:// rule: the parameters it carries (minus its
// condition keys) overwrite those of every URL it applies to.
type Override struct{ rule }

// NewOverride compiles an override rule. localHost is the address of this
// process as a consumer (the host side=consumer rules compare with; a
// directory passes its consumer URL's host). The rule's protocol is not
// checked.
func NewOverride(u *common.URL, localHost string) *Override {
	return &Override{newRule(u, localHost)}
}

// URL implements Configurator.
func (o *Override) URL() *common.URL { return o.url }

// Configure implements Configurator.
func (o *Override) Configure(u *common.URL) *common.URL {
	if !o.applies(u) {
		return u
	}
	return u.WithParams(o.params)
}
