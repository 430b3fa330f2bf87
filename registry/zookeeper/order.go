package zookeeper

import (
	"cmp"
	"hash/maphash"
	"strings"

	"github.com/fleetrpc/fleet/common"
)

// compareURLs orders provider URLs by what they hold: protocol, host,
// port, path, user name, password, then their parameters pair by pair
// (key, then value; a URL whose parameters are a prefix of the other's
// first). It reads only fields the parsed URL already keeps, renders
// nothing and allocates nothing for URLs of up to 64 parameters, and
// depends on nothing of the process: every registry, in every process,
// lists the same providers in the same order. Two child names that parse
// to equal URLs (say, percent-escapes in another case) compare equal;
// their relative order is not fixed, but they list the same text.
func compareURLs(a, b *common.URL) int {
	if a == b {
		return 0
	}
	if c := strings.Compare(a.Protocol(), b.Protocol()); c != 0 {
		return c
	}
	if c := strings.Compare(a.Host(), b.Host()); c != 0 {
		return c
	}
	if c := cmp.Compare(a.Port(), b.Port()); c != 0 {
		return c
	}
	if c := strings.Compare(a.Path(), b.Path()); c != 0 {
		return c
	}
	if c := strings.Compare(a.Username(), b.Username()); c != 0 {
		return c
	}
	if c := strings.Compare(a.Password(), b.Password()); c != 0 {
		return c
	}
	return compareParams(a, b)
}

// pair is one parameter while compareParams walks a URL's.
type pair struct{ key, value string }

// compareParams compares the parameters of a and b pair by pair, each
// list in the URL's own (sorted) order.
func compareParams(a, b *common.URL) int {
	var buf [64]pair
	as := buf[:0]
	a.RangeParams(func(k, v string) bool {
		as = append(as, pair{k, v})
		return true
	})
	c, i := 0, 0
	b.RangeParams(func(k, v string) bool {
		if i == len(as) {
			c = -1 // a's are a prefix of b's
			return false
		}
		if c = strings.Compare(as[i].key, k); c == 0 {
			c = strings.Compare(as[i].value, v)
		}
		i++
		return c == 0
	})
	if c == 0 && i < len(as) {
		c = 1 // b's are a prefix of a's
	}
	return c
}

// nameKey identifies a child name by two independent 64-bit hashes of it,
// so that the cache need not keep the name (~310 B per provider at 100,000
// providers). Keys only find the entry of a name read before; they never
// order anything (compareURLs does), so their seeds may differ per
// process and per path.
//
// Two names with one key are taken for the same name. Within one read
// that is detected (ZooKeeper's children are unique, so a key seen twice is
// a collision) and the read is converted afresh, uncached; a name that
// leaves while another with its key joins in the same change cannot be
// told apart and would keep the first one's URL. With random 128-bit keys
// the chance of either is about n²/2¹²⁹ for n names (below 10⁻²⁸ at
// 100,000), not reproducible and not something a name can be chosen to
// cause, so it is treated as impossible.
type nameKey [2]uint64

// nameHasher makes the keys of one category path's names.
type nameHasher struct {
	seeds [2]maphash.Seed
}

func newNameHasher() nameHasher {
	return nameHasher{seeds: [2]maphash.Seed{maphash.MakeSeed(), maphash.MakeSeed()}}
}

func (h nameHasher) key(name string) nameKey {
	return nameKey{maphash.String(h.seeds[0], name), maphash.String(h.seeds[1], name)}
}
