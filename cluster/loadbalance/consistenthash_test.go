package loadbalance

import (
	"crypto/md5"
	"encoding/binary"
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/fleetrpc/fleet/protocol"
)

func hosts(n int, params string) []protocol.Invoker {
	ps := make([]string, n)
	for i := range ps {
		ps[i] = params
	}
	return invokers(ps...)
}

func TestConsistentHashRingIsKetama(t *testing.T) {
	list := hosts(3, "")
	r := buildRing(list, "m")
	require.Len(t, r.hashes, 3*160)
	// Node i of 10.0.0.2:20880: chunks of MD5("10.0.0.2:20880<i>"), read
	// little-endian.
	owner := map[uint32]int32{}
	for k, h := range r.hashes {
		owner[h] = r.owners[k]
	}
	for i := 0; i < 40; i++ {
		d := md5.Sum([]byte(fmt.Sprintf("10.0.0.2:20880%d", i)))
		for h := 0; h < 4; h++ {
			pos := binary.LittleEndian.Uint32(d[4*h:])
			require.Equal(t, int32(1), owner[pos])
		}
	}
	require.Len(t, buildRing(hosts(2, "hash.nodes=8"), "m").hashes, 16)
	require.Equal(t, []int{0, 2}, buildRing(hosts(2, "m.hash.arguments=0,x,2"), "m").args)
}

func TestConsistentHashLookup(t *testing.T) {
	list := hosts(5, "")
	lb := &ConsistentHash{}
	inv := protocol.NewInvocation("m", "user-42", 7)
	got := lb.Select(list, nil, inv)
	// The expected owner: the first node at or after chunk 0 of MD5(key).
	d := md5.Sum([]byte("user-42"))
	h := binary.LittleEndian.Uint32(d[:4])
	r := buildRing(list, "m")
	want := -1
	for k, pos := range r.hashes {
		if pos >= h {
			want = int(r.owners[k])
			break
		}
	}
	if want < 0 {
		want = int(r.owners[0])
	}
	require.Same(t, list[want].URL(), got.URL())
}

func TestConsistentHashStability(t *testing.T) {
	list := hosts(10, "")
	lb := &ConsistentHash{}
	first := map[string]protocol.Invoker{}
	for i := 0; i < 1000; i++ {
		key := fmt.Sprintf("k%d", i)
		first[key] = lb.Select(list, nil, protocol.NewInvocation("m", key))
	}
	for i := 0; i < 3; i++ {
		for key, want := range first {
			require.Equal(t, want, lb.Select(list, nil, protocol.NewInvocation("m", key)), "the same key reaches the same provider")
		}
	}
	// Another slice with the same invokers keeps the ring.
	slot := lb.rings.byKey.get(methodKey{"org.a.Svc", "", "", "m"}, newRingSlot)
	r := slot.p[slot.next.Load()%slotWays].Load()
	for key, want := range first {
		require.Equal(t, want, lb.Select(append([]protocol.Invoker(nil), list...), nil, protocol.NewInvocation("m", key)))
	}
	require.Equal(t, uint32(1), slot.next.Load(), "no ring was built for the copy")
	require.Same(t, &r.hashes[0], &slot.p[1].Load().hashes[0])
	// Removing one provider moves only its keys.
	gone := list[3]
	rest := append(append([]protocol.Invoker(nil), list[:3]...), list[4:]...)
	moved := 0
	for key, want := range first {
		got := lb.Select(rest, nil, protocol.NewInvocation("m", key))
		if want == gone {
			moved++
			continue
		}
		require.Equal(t, want, got, "key %s stays", key)
	}
	require.InDelta(t, 100, moved, 50)
	// Arguments: hash.arguments picks which; nil hashes as "null".
	args := hosts(10, "hash.arguments=1")
	require.Equal(t, lb.Select(args, nil, protocol.NewInvocation("m", "a", "x")), lb.Select(args, nil, protocol.NewInvocation("m", "b", "x")))
	require.Equal(t, lb.Select(args, nil, protocol.NewInvocation("m", "a", nil)), lb.Select(args, nil, protocol.NewInvocation("m", "b", "null")))
	// A generic call hashes its real arguments.
	require.Equal(t, lb.Select(list, nil, protocol.NewInvocation("m", "k1")),
		lb.Select(list, nil, protocol.NewGenericInvocation("m", []string{"java.lang.String"}, []any{"k1"})))
}

func TestBoundedHashSpillsPastOverloaded(t *testing.T) {
	stats := NewStats()
	list := hosts(4, "")
	lb := &BoundedHash{Stats: stats}
	inv := protocol.NewInvocation("m", "hot-key")
	home := lb.Select(list, nil, inv)
	require.Equal(t, home, (&ConsistentHash{}).Select(list, nil, inv), "an idle cluster agrees with consistenthash")
	// Load the home provider: the limit is ceil(1.25 × (total+1)/4).
	for i := 0; i < 3; i++ {
		stats.Begin(home.URL(), "m")
	}
	next := lb.Select(list, nil, inv)
	require.NotEqual(t, home, next, "3 in flight > limit ceil(1.25×4/4)=2")
	require.Equal(t, next, lb.Select(list, nil, inv), "the spill is stable too")
	// With ε large enough the home keeps it.
	loose := hosts(4, "hash.balance=10")
	for i := 0; i < 3; i++ {
		stats.Begin(loose[0].URL(), "m") // same identities as list
	}
	require.Equal(t, home.URL().Address(), lb.Select(loose, nil, inv).URL().Address())
}

func TestBoundedHashBoundsLoad(t *testing.T) {
	// All calls share one key and stay in flight: no provider exceeds
	// ceil(1.25 × average).
	stats := NewStats()
	list := hosts(8, "")
	lb := &BoundedHash{Stats: stats}
	for i := 0; i < 80; i++ {
		stats.Begin(lb.Select(list, nil, protocol.NewInvocation("m", "same")).URL(), "m")
	}
	for _, iv := range list {
		require.LessOrEqual(t, stats.Method(iv.URL(), "m").Active(), int64(13))
	}
}
