package directory

import (
	"hash/maphash"

	"github.com/fleetrpc/fleet/common"
)

// urlHasher hashes final provider URLs consistently with common.URL.Equal
// (the value of timestamp left out), and their parameter key sets, in one
// pass with hash/maphash: much faster than URL.Hash, and only ever compared
// within one process. Owned by the directory's update goroutine.
type urlHasher struct {
	seed maphash.Seed
}

func newURLHasher() urlHasher { return urlHasher{seed: maphash.MakeSeed()} }

// mix folds v into h (a multiply-xorshift step).
func mix(h, v uint64) uint64 {
	h ^= v
	h *= 0x9e3779b97f4a7c15
	return h ^ h>>29
}

// hash returns the hash of u for Equal and the hash of its key set.
func (x urlHasher) hash(u *common.URL) (url, keys uint64) {
	s := x.seed
	url = mix(0, maphash.String(s, u.Protocol()))
	url = mix(url, maphash.String(s, u.Username()))
	url = mix(url, maphash.String(s, u.Password()))
	url = mix(url, maphash.String(s, u.Host()))
	url = mix(url, uint64(u.Port()))
	url = mix(url, maphash.String(s, u.Path()))
	keys = 0x51ed270b27f3a6c1
	u.RangeParams(func(k, v string) bool {
		kh := maphash.String(s, k)
		keys = mix(keys, kh)
		url = mix(url, kh)
		if k != common.TimestampKey {
			url = mix(url, maphash.String(s, v))
		}
		return true
	})
	return url, keys
}
