package cluster

import (
	"sync/atomic"

	"github.com/fleetrpc/fleet/protocol"
)

// sticky holds a cluster invoker's sticky invoker (the sticky method param,
// cluster.md §2): one per cluster invoker, not per method, as in Java.
// Reads are lock-free; storing a new invoker allocates a small box.
type sticky struct {
	p atomic.Pointer[stickyBox]
}

type stickyBox struct{ invoker protocol.Invoker }

// get returns the held invoker, nil when none.
func (s *sticky) get() protocol.Invoker {
	if b := s.p.Load(); b != nil {
		return b.invoker
	}
	return nil
}

// set holds invoker, unless it is already held.
func (s *sticky) set(invoker protocol.Invoker) {
	if b := s.p.Load(); b != nil && b.invoker == invoker {
		return
	}
	s.p.Store(&stickyBox{invoker})
}

// forget drops invoker if it is still the one held.
func (s *sticky) forget(invoker protocol.Invoker) {
	if b := s.p.Load(); b != nil && b.invoker == invoker {
		s.p.CompareAndSwap(b, nil)
	}
}
