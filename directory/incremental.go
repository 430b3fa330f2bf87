package directory

import (
	"slices"

	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/protocol"
	"github.com/fleetrpc/fleet/router"
)

// walkWindow is how far ahead in the last providers list a walk looks for
// the next provider of a new list: registries keep their order, so a few
// additions and removals shift positions a little.
const walkWindow = 8

// walker finds the providers of a new list in the last one (cached) in
// order, by identity: a registry hands back the same *common.URL for a
// provider that did not change.
type walker struct {
	old []*common.URL
	j   int // the next position of old to look at
}

// find returns the position of u in old at or after the cursor, within the
// window, and moves the cursor past it; -1 when u is not there.
func (w *walker) find(u *common.URL) int {
	for p := w.j; p < len(w.old) && p < w.j+walkWindow; p++ {
		if w.old[p] == u {
			w.j = p + 1
			return p
		}
	}
	return -1
}

// listDiff is where a providers list (list) differs from the last one
// (old): the positions of list not in old and of old not in list, found by
// a walker, and whether there were more than limit of them (then not all
// are recorded).
type listDiff struct {
	old, list          []*common.URL
	addedAt, removedAt []int
	limit              int
	over               bool
}

// note records what a walker's find of list[i] gave: k, its position in
// old (-1: not there), found from position from on.
func (l *listDiff) note(i, from, k int) {
	if l.over {
		return
	}
	if k < 0 {
		l.addedAt = append(l.addedAt, i)
	} else {
		for p := from; p < k; p++ {
			l.removedAt = append(l.removedAt, p)
		}
	}
	l.over = len(l.addedAt)+len(l.removedAt) > l.limit
}

// end records the positions of old after the walker's last find (at j).
func (l *listDiff) end(j int) {
	for p := j; p < len(l.old) && !l.over; p++ {
		l.removedAt = append(l.removedAt, p)
		l.over = len(l.addedAt)+len(l.removedAt) > l.limit
	}
}

// of reports whether l is the difference of providers from old.
func (l *listDiff) of(old, providers []*common.URL) bool {
	return l != nil && sameSlice(l.old, old) && sameSlice(l.list, providers)
}

func sameSlice(a, b []*common.URL) bool {
	return len(a) == len(b) && (len(a) == 0 || &a[0] == &b[0])
}

// addedProvider is a provider of the new list not in the last one, as
// refreshFast prepares it before changing anything.
type addedProvider struct {
	at    int         // position in the new list
	ri    *rawInfo    // its rawInfo when it is current (same configurators), else nil
	final *common.URL // else: its final URL, nil when rejected
	hash  uint64
	keys  *keySet
}

// refreshFast applies a providers list that differs from the last one
// (d.cached) in a few positions, kept in order: it looks at the providers
// added and removed only, edits the entries in place and makes the
// invokers from the last snapshot's by copies of the unchanged runs, and
// hands the router chain those runs (router.Moves), so that one provider
// joining 100,000 costs a walk over two lists of pointers and one copy of
// the invokers, not a lookup per provider. The result is what the full
// refresh gives; whenever it could differ — the configurators changed, a
// new key set or the first provider of one (the directory URL reads
// those, directory.md §10), too many changes or a reordering — it changes
// nothing and reports false, and refresh applies the list in full.
func (d *RegistryDirectory) refreshFast(prev *snapshot, providers []*common.URL, known *listDiff, routersChanged bool, bad *badParams) ([]protocol.Invoker, bool) {
	old := d.cached
	if len(old) == 0 || len(d.current) == 0 || prev == nil || prev.url == nil ||
		len(prev.invokers) != len(d.current) || len(d.byRaw) > 2*len(providers)+64 {
		return nil, false
	}

	// Which positions were added and removed: found by Notify's walk, or
	// by one here.
	diff := known
	if !diff.of(old, providers) {
		diff = &listDiff{old: old, list: providers, limit: len(old)/16 + 8}
		w := walker{old: old}
		for i, u := range providers {
			from := w.j
			diff.note(i, from, w.find(u))
			if diff.over {
				return nil, false
			}
		}
		diff.end(w.j)
	}
	addedAt, removedAt := diff.addedAt, diff.removedAt
	if diff.over || len(removedAt) >= len(d.current) {
		return nil, false
	}
	// The removed providers' rawInfo (nil when rejected): each provider of
	// the last list has its current one in byRaw.
	removed := make([]*rawInfo, len(removedAt))
	for n, p := range removedAt {
		if ri := d.byRaw[old[p]]; ri != nil && ri.gen == d.gen {
			removed[n] = ri
		}
	}

	// Prepare the added providers, and check that the key sets' first
	// providers stay first.
	added := make([]addedProvider, len(addedAt))
	var firstAt map[*keySet]int // where each key set's first provider is in providers
	for n, i := range addedAt {
		u := providers[i]
		a := addedProvider{at: i}
		if ri := d.byRaw[u]; ri != nil && ri.gen == d.gen {
			a.ri, a.keys = ri, ri.keys
		} else if final, ok := d.finalURL(u); ok {
			h, kh := d.hasher.hash(final)
			a.final, a.hash, a.keys = final, h, d.keySets[kh]
			if a.keys == nil {
				return nil, false // a new key set
			}
		}
		if a.keys != nil {
			if a.keys.count == 0 || a.keys.first == nil {
				return nil, false // a key set not listed
			}
			// Kept providers keep their order: the first of the key set
			// is still first unless it left or an added one comes before.
			first, ok := firstAt[a.keys]
			if !ok {
				first = slices.Index(providers, a.keys.firstRaw)
				if firstAt == nil {
					firstAt = map[*keySet]int{}
				}
				firstAt[a.keys] = first
			}
			if first < 0 || first > i {
				return nil, false // it would come first in its key set
			}
		}
		added[n] = a
	}
	for _, ri := range removed {
		if ri != nil && ri.keys.first == ri {
			return nil, false // the first of its key set
		}
	}

	// Apply: additions first, so that a provider that moved keeps its
	// entry.
	var fresh []*entry
	for _, a := range added {
		u := providers[a.at]
		ri := a.ri
		if ri == nil {
			if a.final == nil {
				delete(d.byRaw, u)
				continue
			}
			if ri = d.byRaw[u]; ri == nil {
				ri = &rawInfo{}
				d.byRaw[u] = ri
			}
			*ri = rawInfo{gen: d.gen, url: a.final, hash: a.hash, keys: a.keys}
		}
		ri.seen = d.epoch
		ri.keys.count++
		e := d.entryOf(ri)
		if e != nil {
			e.refs++
			continue
		}
		if e = d.admit(ri, bad); e == nil {
			continue
		}
		e.seen = d.epoch
		fresh = append(fresh, e)
	}
	var gone []*entry // entries of d.current no provider lists any more
	var doomed []protocol.Invoker
	for _, ri := range removed {
		if ri == nil {
			continue
		}
		ri.keys.count--
		e := ri.entry
		if e == nil || e.dead {
			continue
		}
		if e.refs--; e.refs > 0 {
			continue
		}
		doomed = append(doomed, e.invoker)
		d.unlink(e)
		if !slices.Contains(fresh, e) {
			gone = append(gone, e)
		}
	}
	fresh = slices.DeleteFunc(fresh, func(e *entry) bool { return e.dead })

	d.cached = providers
	if len(fresh) == 0 && len(gone) == 0 {
		// The same entries: publish reuses prev's lists.
		d.publish(prev, prev.url, d.current, nil, nil, false, routersChanged)
		d.pruneInterned()
		return doomed, true
	}
	var runs []router.Run
	var invokers []protocol.Invoker
	d.current, d.currentSets, invokers, runs = editEntries(d.current, d.currentSets, prev.invokers, gone, fresh)
	moves, err := router.NewMoves(len(invokers), len(prev.invokers), runs)
	if err != nil {
		// Not expected: the chain then finds the invokers itself.
		d.logger.Warn("router chain compiled without the runs kept (a bug): it finds them itself", "error", err)
		d.publish(prev, prev.url, d.current, invokers, nil, true, routersChanged)
	} else {
		d.publish(prev, prev.url, d.current, invokers, &moves, true, routersChanged)
	}
	d.pruneInterned()
	return doomed, true
}

// maxInPlace is how many changes editEntries makes to the entries in place,
// each a move of the entries after it; more rebuild the slice.
const maxInPlace = 4

// editEntries returns cur (sorted entries, their method sets curSets when
// not nil, their invokers curInv) without gone and with add: the entries
// and method sets edited in place (they belong to the caller, no snapshot
// holds them) when the changes are few, the invokers as a new slice made
// of copies of curInv's unchanged runs, and those runs (router.Run: where
// each run of the new invokers was in curInv).
func editEntries(cur []*entry, curSets []*methodSet, curInv []protocol.Invoker, gone, add []*entry) ([]*entry, []*methodSet, []protocol.Invoker, []router.Run) {
	gonePos := make([]int, 0, len(gone))
	for _, g := range gone {
		p, _ := slices.BinarySearchFunc(cur, g, compareEntries)
		for p < len(cur) && cur[p] != g {
			p++ // entries that compare equal: find g itself
		}
		if p < len(cur) {
			gonePos = append(gonePos, p)
		}
	}
	slices.Sort(gonePos)
	slices.SortFunc(add, compareEntries)
	addPos := make([]int, len(add)) // the position of cur each goes before
	for k, a := range add {
		addPos[k], _ = slices.BinarySearchFunc(cur, a, compareEntries)
	}

	n := len(cur) - len(gonePos) + len(add)
	inv := make([]protocol.Invoker, 0, n)
	var out []*entry         // the new entries when not edited in place
	var outSets []*methodSet // and their method sets
	inPlace := len(gonePos)+len(add) <= maxInPlace
	if !inPlace {
		out = make([]*entry, 0, n)
		if curSets != nil {
			outSets = make([]*methodSet, 0, n)
		}
	}
	var runs []router.Run
	i, g := 0, 0
	copyTo := func(upto int) {
		for i < upto {
			if g < len(gonePos) && gonePos[g] == i {
				i++
				g++
				continue
			}
			end := upto
			if g < len(gonePos) && gonePos[g] < end {
				end = gonePos[g]
			}
			runs = append(runs, router.Run{At: len(inv), From: i, Len: end - i})
			inv = append(inv, curInv[i:end]...)
			if !inPlace {
				out = append(out, cur[i:end]...)
				if curSets != nil {
					outSets = append(outSets, curSets[i:end]...)
				}
			}
			i = end
		}
	}
	for k, a := range add {
		copyTo(addPos[k])
		inv = append(inv, a.invoker)
		if !inPlace {
			out = append(out, a)
			if curSets != nil {
				outSets = append(outSets, a.methods)
			}
		}
	}
	copyTo(len(cur))
	if !inPlace {
		return out, outSets, inv, runs
	}

	for k := len(gonePos) - 1; k >= 0; k-- {
		cur = slices.Delete(cur, gonePos[k], gonePos[k]+1)
		if curSets != nil {
			curSets = slices.Delete(curSets, gonePos[k], gonePos[k]+1)
		}
	}
	g = 0
	for k, a := range add {
		for g < len(gonePos) && gonePos[g] < addPos[k] {
			g++
		}
		cur = slices.Insert(cur, addPos[k]-g+k, a)
		if curSets != nil {
			curSets = slices.Insert(curSets, addPos[k]-g+k, a.methods)
		}
	}
	return cur, curSets, inv, runs
}
