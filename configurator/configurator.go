package configurator

import "github.com/fleetrpc/fleet/common"

// Configurator rewrites the URLs a rule applies to.
//
// A Configurator is immutable and safe for concurrent use. Configure never
// modifies its argument (URLs are immutable): it returns the configured URL,
// or u itself when the rule does not apply to u.
type Configurator interface {
	// URL is the rule (override://0.0.0.0/org.a.Svc?timeout=2000…).
	URL() *common.URL
	// Configure applies the rule to u.
	Configure(u *common.URL) *common.URL
}

// Apply runs configurators over u in order, each on the result of the one
// before, and returns the result (u itself when none applies).
func Apply(configurators []Configurator, u *common.URL) *common.URL {
	for _, c := range configurators {
		u = c.Configure(u)
	}
	return u
}
