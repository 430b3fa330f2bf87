package router

import (
	"sync"
	"sync/atomic"

	"github.com/fleetrpc/fleet/protocol"
)

// results caches the routed lists of one candidate list, by combination of
// outcomes: a slot per combination when the chain has few (dense), else a
// map of the combinations calls took (copy on write under mu, bounded by
// maxSparse). Reads take no lock.
type results struct {
	dense  []atomic.Pointer[[]protocol.Invoker]
	mu     sync.Mutex
	sparse atomic.Pointer[map[uint64]*[]protocol.Invoker]
}

func (r *results) init(dense bool, combos uint64) {
	if dense {
		r.dense = make([]atomic.Pointer[[]protocol.Invoker], combos)
	}
}

// load returns the cached result of combination k, nil when there is none.
func (r *results) load(k uint64) *[]protocol.Invoker {
	if r.dense != nil {
		return r.dense[k].Load()
	}
	if m := r.sparse.Load(); m != nil {
		return (*m)[k]
	}
	return nil
}

// store caches p as the result of combination k unless one is cached
// already, and returns the cached one (p when the map is full).
func (r *results) store(k uint64, p *[]protocol.Invoker) *[]protocol.Invoker {
	if r.dense != nil {
		if r.dense[k].CompareAndSwap(nil, p) {
			return p
		}
		return r.dense[k].Load()
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	old := r.sparse.Load()
	if old != nil {
		if q, ok := (*old)[k]; ok {
			return q
		}
		if len(*old) >= maxSparse {
			return p
		}
	}
	m := make(map[uint64]*[]protocol.Invoker, 1+lenSparse(old))
	if old != nil {
		for key, v := range *old {
			m[key] = v
		}
	}
	m[k] = p
	r.sparse.Store(&m)
	return p
}

func lenSparse(m *map[uint64]*[]protocol.Invoker) int {
	if m == nil {
		return 0
	}
	return len(*m)
}
