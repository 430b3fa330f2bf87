package dubbo

import (
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/fleetrpc/fleet/common"

	"github.com/fleetrpc/fleet/internal/testutil"
)

func TestConnectionsPerAddress(t *testing.T) {
	server, other, client := newProto(t), newProto(t), newProto(t)
	u := provider(t, server, &userImpl{}, "")
	v := provider(t, other, &userImpl{}, "")
	require.Empty(t, client.Connections())

	a := refer(t, client, u)
	b := refer(t, client, u.WithParam("timeout", "2000")) // shares a's connection
	d := refer(t, client, u.WithParam("connections", "2"))
	e := refer(t, client, v)
	require.Equal(t, []AddressConnections{{Address: u.Address(), Held: 3}, {Address: v.Address(), Held: 1}},
		byAddress(client.Connections(), u.Address(), v.Address()), "lazy: nothing dialled yet")

	require.NoError(t, invoke(a, "ping", nil).Error())
	require.NoError(t, invoke(b, "ping", nil).Error())
	for range 4 {
		require.NoError(t, invoke(d, "ping", nil).Error())
	}
	require.Equal(t, []AddressConnections{{Address: u.Address(), Held: 3, Open: 3}, {Address: v.Address(), Held: 1}},
		byAddress(client.Connections(), u.Address(), v.Address()))
	require.NoError(t, invoke(e, "ping", nil).Error())
	require.Equal(t, []AddressConnections{{Address: u.Address(), Held: 3, Open: 3}, {Address: v.Address(), Held: 1, Open: 1}},
		byAddress(client.Connections(), u.Address(), v.Address()))

	open, held := client.ConnectionCounts()
	require.Equal(t, map[string]int{u.Address(): 3, v.Address(): 1}, open)
	require.Equal(t, map[string]int{u.Address(): 3, v.Address(): 1}, held)

	d.Destroy()
	a.Destroy()
	require.Equal(t, []AddressConnections{{Address: u.Address(), Held: 1, Open: 1}, {Address: v.Address(), Held: 1, Open: 1}},
		byAddress(client.Connections(), u.Address(), v.Address()), "b still holds the shared one")

	// The provider goes away: its connection is no longer open.
	other.Destroy()
	require.Eventually(t, func() bool {
		got := byAddress(client.Connections(), u.Address(), v.Address())
		return got[1].Open == 0
	}, testutil.DefaultTimeout, 10*time.Millisecond)
}

// byAddress returns the entries of addresses, in their order (an empty
// entry for an address not listed).
func byAddress(list []AddressConnections, addresses ...string) []AddressConnections {
	out := make([]AddressConnections, len(addresses))
	for i, a := range addresses {
		out[i] = AddressConnections{Address: a}
		for _, c := range list {
			if c.Address == a {
				out[i] = c
			}
		}
	}
	return out
}

// BenchmarkConnections is one scrape's read of the connections of 1,000
// referred provider addresses (not dialled: the cost is the walk).
func BenchmarkConnections(b *testing.B) {
	p := newProto(b)
	for port := 1; port <= 1000; port++ {
		refer(b, p, common.MustParse("dubbo://127.0.0.1:"+strconv.Itoa(port)+"/org.example.S?interface=org.example.S"))
	}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if n := len(p.Connections()); n != 1000 {
			b.Fatalf("%d addresses", n)
		}
	}
}
