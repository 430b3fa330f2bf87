package directory

import (
	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/protocol"
	"github.com/fleetrpc/fleet/router"
)

// snapshot is the whole state List reads: built by the update goroutine on
// each notification and swapped in whole. Immutable once published; every
// slice in it stays fixed for its life.
type snapshot struct {
	url      *common.URL        // the consumer URL routers and clusters see (directory.md §10)
	err      error              // non-nil: List fails with it (forbidden, destroyed)
	invokers []protocol.Invoker // the enabled invokers, sorted by entry (compareEntries)
	methods  *methodMap
	chain    *router.Chain // nil: no router
}

// entry is one provider invoker of the directory, keyed by its final URL
// (merged, configured). The url, hash, invoker and methods fields are
// immutable; seen and next belong to the update goroutine.
type entry struct {
	url     *common.URL
	hash    uint64 // urlHasher.hash of url
	invoker protocol.Invoker
	methods *methodSet

	seen uint64 // the refresh that last listed it
	refs int    // positions of the providers list (cached) whose rawInfo has it as entry
	next *entry // the next entry with the same hash
	dead bool   // removed from the directory
}

// rawInfo caches what one notified provider URL became under the current
// configurators: its final URL, or rejection. Owned by the update
// goroutine.
type rawInfo struct {
	gen   uint64      // configurators generation url was computed with
	url   *common.URL // final URL
	hash  uint64      // urlHasher.hash of url
	keys  *keySet     // url's parameter keys
	entry *entry      // the entry url found or made; check dead
	seen  uint64
}

// keySet is one set of parameter keys, interned per directory: the
// consumer URL of §10 needs, from the providers, only the first URL of
// each distinct key set. Owned by the update goroutine.
type keySet struct {
	seen     uint64
	count    int         // positions of the providers list (cached) with this key set
	first    *rawInfo    // the provider at the first of them: the one §10 reads
	firstRaw *common.URL // that provider as notified
}

// compareEntries orders entries deterministically: by address, then
// protocol and path, then the whole URL.
func compareEntries(a, b *entry) int {
	ua, ub := a.url, b.url
	switch {
	case ua.Host() != ub.Host():
		return cmpString(ua.Host(), ub.Host())
	case ua.Port() != ub.Port():
		return ua.Port() - ub.Port()
	case ua.Protocol() != ub.Protocol():
		return cmpString(ua.Protocol(), ub.Protocol())
	case ua.Path() != ub.Path():
		return cmpString(ua.Path(), ub.Path())
	}
	return cmpString(ua.String(), ub.String())
}

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
