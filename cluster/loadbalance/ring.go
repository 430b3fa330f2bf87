package loadbalance

import (
	"crypto/md5"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"unsafe"

	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/protocol"
)

// Parameter names and defaults of the consistent-hash balancers.
const (
	// HashNodesKey is the number of virtual nodes per provider.
	HashNodesKey = "hash.nodes"
	// HashArgumentsKey lists the indexes of the arguments hashed, comma
	// separated.
	HashArgumentsKey = "hash.arguments"
	// DefaultHashNodes is the default of HashNodesKey.
	DefaultHashNodes = 160
	// DefaultHashArguments is the default of HashArgumentsKey.
	DefaultHashArguments = "0"
)

// ring is a ketama ring (cluster.md §4.6) built from one candidate list.
// It is immutable.
type ring struct {
	src      *protocol.Invoker // the slice it was built from, to recognise it
	invokers []protocol.Invoker
	hashes   []uint32 // sorted, distinct
	owners   []int32  // owners[i] owns hashes[i], an index into invokers
	args     []int    // hash.arguments
}

// ringSlot holds the latest rings of one service and method (see
// slotWays).
type ringSlot struct {
	p    [slotWays]atomic.Pointer[ring]
	next atomic.Uint32
}

func newRingSlot() *ringSlot { return &ringSlot{} }

// ringFor returns a ring for invokers: one of the slot's when it was built
// from the same list (the same slice, or the same invokers in the same
// order), else a new one stored in the slot. Only building allocates.
func (s *ringSlot) ringFor(invokers []protocol.Invoker, method string) *ring {
	src := unsafe.SliceData(invokers)
	for i := range s.p {
		if r := s.p[i].Load(); r != nil && r.src == src && len(r.invokers) == len(invokers) &&
			r.invokers[0] == invokers[0] && r.invokers[len(invokers)-1] == invokers[len(invokers)-1] {
			return r
		}
	}
	for i := range s.p {
		if r := s.p[i].Load(); r != nil && slices.Equal(r.invokers, invokers) {
			moved := *r // the same ring, recognised by the new slice
			moved.src = src
			s.p[i].Store(&moved)
			return &moved
		}
	}
	r := buildRing(invokers, method)
	s.p[s.next.Add(1)%slotWays].Store(r)
	return r
}

func buildRing(invokers []protocol.Invoker, method string) *ring {
	first := invokers[0].URL()
	nodes, _ := first.MethodParamPositiveInt(method, HashNodesKey, DefaultHashNodes)
	if nodes < 4 { // no virtual node at all: Java's ring would be empty
		nodes = DefaultHashNodes
	}
	r := &ring{
		src:      unsafe.SliceData(invokers),
		invokers: slices.Clone(invokers),
		args:     hashArguments(first, method),
	}
	type node struct {
		hash  uint32
		owner int32
	}
	all := make([]node, 0, len(invokers)*(nodes/4)*4)
	for i, iv := range invokers {
		addr := iv.URL().Address()
		buf := make([]byte, 0, len(addr)+8)
		for j := 0; j < nodes/4; j++ {
			buf = strconv.AppendInt(append(buf[:0], addr...), int64(j), 10)
			d := md5.Sum(buf)
			for h := 0; h < 4; h++ {
				all = append(all, node{ketama(&d, h), int32(i)})
			}
		}
	}
	// Stable, so that among equal positions the later invoker comes last
	// and wins, as a later put into Java's TreeMap does.
	slices.SortStableFunc(all, func(a, b node) int {
		switch {
		case a.hash < b.hash:
			return -1
		case a.hash > b.hash:
			return 1
		}
		return 0
	})
	r.hashes = make([]uint32, 0, len(all))
	r.owners = make([]int32, 0, len(all))
	for i, n := range all {
		if i+1 < len(all) && all[i+1].hash == n.hash {
			continue
		}
		r.hashes = append(r.hashes, n.hash)
		r.owners = append(r.owners, n.owner)
	}
	return r
}

// ketama is chunk h of an MD5 digest, little-endian.
func ketama(d *[md5.Size]byte, h int) uint32 {
	return uint32(d[4*h]) | uint32(d[4*h+1])<<8 | uint32(d[4*h+2])<<16 | uint32(d[4*h+3])<<24
}

// hashArguments parses the hash.arguments method param; malformed items are
// skipped.
func hashArguments(u *common.URL, method string) []int {
	v := u.MethodParamOr(method, HashArgumentsKey, DefaultHashArguments)
	var out []int
	for _, s := range strings.Split(v, ",") {
		if n, err := strconv.Atoi(strings.TrimSpace(s)); err == nil {
			out = append(out, n)
		}
	}
	return out
}

// search returns the index of the first node at or after h, wrapping to 0.
func (r *ring) search(h uint32) int {
	i, _ := slices.BinarySearch(r.hashes, h)
	if i == len(r.hashes) {
		return 0
	}
	return i
}

// keyHash is the ring position of a call: chunk 0 of the MD5 of the string
// forms of the hashed arguments, concatenated (nil as "null", out-of-range
// indexes skipped; for a generic call its real arguments). Strings, numbers
// and booleans are rendered without allocating.
func (r *ring) keyHash(inv protocol.Invocation) uint32 {
	args := protocol.RealArguments(inv)
	var stack [128]byte
	b := stack[:0]
	for _, i := range r.args {
		if i >= 0 && i < len(args) {
			b = appendArg(b, args[i])
		}
	}
	d := md5.Sum(b)
	return ketama(&d, 0)
}

// appendArg appends the string form of a, as Java's StringBuilder.append
// renders the boxed value for strings, integers and booleans.
func appendArg(b []byte, a any) []byte {
	switch v := a.(type) {
	case nil:
		return append(b, "null"...)
	case string:
		return append(b, v...)
	case int:
		return strconv.AppendInt(b, int64(v), 10)
	case int8:
		return strconv.AppendInt(b, int64(v), 10)
	case int16:
		return strconv.AppendInt(b, int64(v), 10)
	case int32:
		return strconv.AppendInt(b, int64(v), 10)
	case int64:
		return strconv.AppendInt(b, v, 10)
	case uint:
		return strconv.AppendUint(b, uint64(v), 10)
	case uint8:
		return strconv.AppendUint(b, uint64(v), 10)
	case uint16:
		return strconv.AppendUint(b, uint64(v), 10)
	case uint32:
		return strconv.AppendUint(b, uint64(v), 10)
	case uint64:
		return strconv.AppendUint(b, v, 10)
	case bool:
		return strconv.AppendBool(b, v)
	case fmt.Stringer:
		return append(b, v.String()...)
	default:
		return fmt.Append(b, v)
	}
}
