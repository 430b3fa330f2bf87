package zookeeper

import "sync"

// hostRing hands the ensemble's addresses to the ZooKeeper client in turn.
// Unlike the client's default provider it resolves nothing up front: the
// dialer resolves each name when it connects, so New never waits on DNS
// and a member whose address changes is found again.
type hostRing struct {
	mu      sync.Mutex
	servers []string
	cur     int // index last handed out; -1 before the first
	good    int // index of the last server connected to; -1 before
}

// Init implements zk.HostProvider.
func (h *hostRing) Init(servers []string) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.servers = append([]string(nil), servers...)
	h.cur, h.good = -1, -1
	return nil
}

// Len implements zk.HostProvider.
func (h *hostRing) Len() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.servers)
}

// Next implements zk.HostProvider: the next address, and whether the ring
// came back to the last good one (every address was tried since).
func (h *hostRing) Next() (string, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.cur = (h.cur + 1) % len(h.servers)
	wrapped := h.cur == h.good
	if h.good < 0 {
		h.good = 0
	}
	return h.servers[h.cur], wrapped
}

// Connected implements zk.HostProvider.
func (h *hostRing) Connected() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.good = h.cur
}
