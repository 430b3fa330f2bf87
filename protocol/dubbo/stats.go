package dubbo

import (
	"sort"
	"strconv"
)

// AddressConnections is the connections a Protocol holds to one provider
// address.
type AddressConnections struct {
	Address string
	Held    int // clients held for the address (shared and dedicated), whatever their state
	Open    int // of those, the ones with a connection up
}

// Connections lists, per provider address the Protocol's invokers refer,
// the connections it holds and how many are up, sorted by address. It
// takes the Protocol's lock and each client's briefly: for metrics at
// scrape time and tools, never the call path.
func (p *Protocol) Connections() []AddressConnections {
	byAddr := p.countConnections()
	out := make([]AddressConnections, 0, len(byAddr))
	for _, a := range byAddr {
		out = append(out, *a)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Address < out[j].Address })
	return out
}

// countConnections counts the connections per provider address. An invoker
// never called holds, as far as counting goes, the clients its first call
// will make: its own connections, or its address's shared ones (once per
// address, unless another invoker made them already).
func (p *Protocol) countConnections() map[string]*AddressConnections {
	p.mu.Lock()
	seen := map[*client]bool{}
	var clients []*client
	add := func(cs []*client) {
		for _, c := range cs {
			if !seen[c] {
				seen[c] = true
				clients = append(clients, c)
			}
		}
	}
	for _, sc := range p.shared {
		add(sc.clients)
	}
	idle := map[string]int{}        // address → dedicated clients to be made
	idleShared := map[addrKey]int{} // address → shared clients to be made
	for inv := range p.invokers {
		switch l := inv.link.Load(); {
		case l == destroyedLink:
		case l != nil:
			add(l.clients)
		case inv.svc.conns > 0:
			idle[inv.url.Address()] += inv.svc.conns
		default:
			key := addrKeyOf(inv.url)
			if p.shared[key] == nil {
				idleShared[key] = max(idleShared[key], inv.svc.share)
			}
		}
	}
	p.mu.Unlock()
	byAddr := map[string]*AddressConnections{}
	entry := func(addr string) *AddressConnections {
		a := byAddr[addr]
		if a == nil {
			a = &AddressConnections{Address: addr}
			byAddr[addr] = a
		}
		return a
	}
	for addr, n := range idle {
		entry(addr).Held += n
	}
	for key, n := range idleShared {
		entry(key.host + ":" + strconv.Itoa(key.port)).Held += n
	}
	for _, c := range clients {
		a := entry(c.addr)
		a.Held++
		c.mu.Lock()
		if c.state == stateReady {
			a.Open++
		}
		c.mu.Unlock()
	}
	return byAddr
}

// ConnectionCounts is Connections as plain maps, address → count, for
// readers that do not import this package (package config finds it on the
// registered protocol by its method set).
func (p *Protocol) ConnectionCounts() (open, held map[string]int) {
	open, held = map[string]int{}, map[string]int{}
	for addr, a := range p.countConnections() {
		open[addr], held[addr] = a.Open, a.Held
	}
	return open, held
}
