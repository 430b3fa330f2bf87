package router

import "math/bits"

// Pool is a set of a snapshot's invokers, by their index in the snapshot's
// invoker slice (a bitset). A Pool is built once, off the call path, and is
// read-only once it is handed to a Chain.
type Pool struct {
	words []uint64
	n     int
}

// NewPool returns an empty pool over n invokers.
func NewPool(n int) Pool {
	return Pool{words: make([]uint64, (n+63)/64), n: n}
}

// FullPool returns the pool of all n invokers.
func FullPool(n int) Pool {
	p := NewPool(n)
	for i := range p.words {
		p.words[i] = ^uint64(0)
	}
	p.clearTail()
	return p
}

// Size is the number of invokers the pool is over (not how many it holds).
func (p Pool) Size() int { return p.n }

// Add puts invoker i in the pool. It panics when i is out of range.
func (p Pool) Add(i int) {
	if i < 0 || i >= p.n {
		panic("router: Pool.Add index out of range")
	}
	p.words[i>>6] |= 1 << (uint(i) & 63)
}

// Has reports whether invoker i is in the pool; false when out of range.
func (p Pool) Has(i int) bool {
	return i >= 0 && i < p.n && p.words[i>>6]&(1<<(uint(i)&63)) != 0
}

// Count is the number of invokers in the pool.
func (p Pool) Count() int {
	c := 0
	for _, w := range p.words {
		c += bits.OnesCount64(w)
	}
	return c
}

// Empty reports whether the pool holds no invoker.
func (p Pool) Empty() bool {
	for _, w := range p.words {
		if w != 0 {
			return false
		}
	}
	return true
}

// full reports whether the pool holds all of its invokers.
func (p Pool) full() bool { return p.Count() == p.n }

// and sets p to p ∩ q; both are over the same invokers.
func (p Pool) and(q Pool) {
	for i := range p.words {
		p.words[i] &= q.words[i]
	}
}

func (p Pool) copyFrom(q Pool) { copy(p.words, q.words) }

func (p Pool) clearTail() {
	if r := p.n & 63; r != 0 {
		p.words[len(p.words)-1] &= (1 << uint(r)) - 1
	}
}

// each calls fn for each invoker in the pool, in index order.
func (p Pool) each(fn func(i int)) {
	for wi, w := range p.words {
		for w != 0 {
			b := bits.TrailingZeros64(w)
			fn(wi<<6 | b)
			w &= w - 1
		}
	}
}

// Or adds to p the invokers of q; both are over the same invokers. Like
// Add, it is for building a pool, before it is handed to a Chain.
func (p Pool) Or(q Pool) {
	for i := range p.words {
		p.words[i] |= q.words[i]
	}
}

// AndNot removes from p the invokers of q; both are over the same
// invokers. Like Add, it is for building a pool.
func (p Pool) AndNot(q Pool) {
	for i := range p.words {
		p.words[i] &^= q.words[i]
	}
}

// First returns the lowest invoker in the pool, -1 when it is empty.
func (p Pool) First() int {
	for wi, w := range p.words {
		if w != 0 {
			return wi<<6 | bits.TrailingZeros64(w)
		}
	}
	return -1
}

// Clone returns a copy of p that can be built on without changing p.
func (p Pool) Clone() Pool {
	c := Pool{words: make([]uint64, len(p.words)), n: p.n}
	copy(c.words, p.words)
	return c
}
