package loadbalance

import (
	"sync"
	"sync/atomic"

	"github.com/fleetrpc/fleet/common"
)

// idTable maps providers to per-provider state of type T, keyed by the
// provider URL's IdentityString (Java Dubbo's key), so state survives a new
// snapshot that refers the same provider again.
//
// Lookups go through the URL pointer first: a URL is immutable and an
// invoker's URL never changes, so in steady state a lookup is one lock-free
// sync.Map load that does not allocate. Only the first sight of a URL
// renders its identity (and allocates). Entries are removed by prune; there
// is no goroutine.
type idTable[T any] struct {
	byURL sync.Map // *common.URL → *idEntry[T]
	byID  sync.Map // identity string → *idEntry[T]
	size  atomic.Int64
	mu    sync.Mutex // serialises creation and pruning
}

// idEntry is one provider's state.
type idEntry[T any] struct {
	id       string
	val      T
	lastUsed atomic.Int64 // unix ms, set by users of the table
	removed  atomic.Bool
}

// get returns the entry of u, creating it (with T's zero value) when
// absent.
func (t *idTable[T]) get(u *common.URL) *idEntry[T] {
	if e, ok := t.byURL.Load(u); ok {
		en := e.(*idEntry[T])
		if !en.removed.Load() {
			return en
		}
	}
	return t.slowGet(u)
}

func (t *idTable[T]) slowGet(u *common.URL) *idEntry[T] {
	id := u.IdentityString()
	t.mu.Lock()
	defer t.mu.Unlock()
	var en *idEntry[T]
	if e, ok := t.byID.Load(id); ok {
		en = e.(*idEntry[T])
	} else {
		en = &idEntry[T]{id: id}
		t.byID.Store(id, en)
		t.size.Add(1)
	}
	t.byURL.Store(u, en)
	return en
}

// len is the number of identities in the table.
func (t *idTable[T]) len() int { return int(t.size.Load()) }

// prune removes the entries for which stale returns true, with every URL
// pointing at them. Concurrent users holding such an entry keep a detached
// copy: their updates are lost, as Java's removeIf loses them.
func (t *idTable[T]) prune(stale func(*idEntry[T]) bool) {
	if !t.mu.TryLock() {
		return // someone else is creating or pruning
	}
	defer t.mu.Unlock()
	t.byID.Range(func(k, v any) bool {
		en := v.(*idEntry[T])
		if stale(en) {
			en.removed.Store(true)
			t.byID.Delete(k)
			t.size.Add(-1)
		}
		return true
	})
	t.byURL.Range(func(k, v any) bool {
		if v.(*idEntry[T]).removed.Load() {
			t.byURL.Delete(k)
		}
		return true
	})
}
