package zookeeper

import (
	"context"
	"log/slog"
	"slices"
	"strings"

	"github.com/fleetrpc/fleet/common"
)

// childChanged applies a child created or deleted under a category path
// (a persistent watch's event, number seq of the watch session of
// generation gen) to every subscription watching the category, and notes
// the lists that changed for flushDeltas. A subscription whose cache
// cannot take the change (see applyLocked) has the path read in full. It
// reports whether that read succeeded. run calls it.
func (r *Registry) childChanged(path, iface, category, name string, created bool, gen, seq uint64) bool {
	targets := r.targets(r.subscriptions(), iface, category)
	if len(targets) == 0 {
		return true
	}
	if r.log.Enabled(context.Background(), slog.LevelDebug) {
		r.log.Debug(categoryReadMsg, "path", path, "node", name, "created", created)
	}
	reread := false
	for _, t := range targets {
		t.s.mu.Lock()
		taken, changed := r.applyLocked(t.s, t.svc, path, name, created, gen, seq)
		t.s.mu.Unlock()
		if !taken {
			reread = true
		} else if changed {
			r.noteDelta(t.s, t.svc, category, path)
		}
	}
	if reread {
		return r.pathChanged(path)
	}
	return true
}

// applyLocked applies a child of path created or deleted to s's cache;
// changed says whether the list changed (the child is a matching provider
// URL). An event numbered before the last read of path on the same
// session is already in that read and is dropped. taken is false when the
// cache does not hold the last read of path on this session (or holds it
// converted without the cache): path must then be read in full. s.mu is
// held.
func (r *Registry) applyLocked(s *subscription, svc *common.URL, path, name string, created bool, gen, seq uint64) (taken, changed bool) {
	if s.stopped {
		return true, false
	}
	pp := s.parsed[path]
	if pp == nil || pp.svc != svc || !pp.cached || !s.watched || pp.wgen != gen {
		return false, false
	}
	if seq <= pp.seq {
		return true, false
	}
	pp.seq = seq
	if created {
		return true, pp.add(name, r.log)
	}
	return true, pp.remove(name)
}

// delta is a list changed by events and not delivered yet.
type delta struct {
	s        *subscription
	svc      *common.URL
	category string
	path     string
}

// noteDelta notes that s's list of path changed; flushDeltas delivers it.
// run calls it.
func (r *Registry) noteDelta(s *subscription, svc *common.URL, category, path string) {
	for _, d := range r.deltas {
		if d.s == s && d.path == path {
			return
		}
	}
	r.deltas = append(r.deltas, delta{s: s, svc: svc, category: category, path: path})
}

// flushDeltas delivers each list noted since the last flush once, as it
// is now: the events run took in one batch (a burst of providers joining)
// cost one delivery per list, not one per event. run calls it after each
// batch; a list delivered in full meanwhile is delivered again, the same.
func (r *Registry) flushDeltas() {
	for i, d := range r.deltas {
		d.s.mu.Lock()
		if pp := d.s.parsed[d.path]; !d.s.stopped && pp != nil && pp.svc == d.svc && pp.cached {
			r.notify(d.s, withEmpty(pp.urls(), d.svc, d.category))
		}
		d.s.mu.Unlock()
		r.deltas[i] = delta{}
	}
	r.deltas = r.deltas[:0]
}

// add takes a child name created: parsed and matched as convert does,
// inserted into sorted (in place) by a binary search when it matches. It
// reports whether the list changed.
func (pp *parsedPath) add(name string, log *slog.Logger) bool {
	key := pp.keyOf(name)
	if pp.nodes[key] != nil {
		return false
	}
	n := &parsedNode{key: key, seen: pp.gen}
	if strings.Contains(name, encodedScheme) {
		u, err := common.ParseEncoded(name)
		if err != nil {
			log.Warn("skipping a registry node that is not a URL", "node", name, "err", err)
		} else {
			n.u, n.match = u, common.IsMatch(pp.svc, u)
		}
	}
	pp.nodes[key] = n
	pp.order = append(pp.order, n)
	if !n.match {
		return false
	}
	p, _ := slices.BinarySearchFunc(pp.sorted, n.u, compareURLs)
	pp.sorted = slices.Insert(pp.sorted, p, n.u) // in place: listeners get copies
	return true
}

// remove takes a child name deleted: found by its key, removed from
// nodes and sorted, and marked dead in order (which the next full read
// replaces; compacted when half of it is dead). It reports whether the
// list changed.
func (pp *parsedPath) remove(name string) bool {
	key := pp.keyOf(name)
	n := pp.nodes[key]
	if n == nil {
		return false
	}
	delete(pp.nodes, key)
	changed := false
	if n.match {
		if p := indexOf(pp.sorted, n.u); p >= 0 {
			pp.sorted = slices.Delete(pp.sorted, p, p+1)
			changed = true
		}
	}
	n.dead, n.match = true, false
	pp.dead++
	if pp.dead > 64 && pp.dead > len(pp.order)/2 {
		live := make([]*parsedNode, 0, len(pp.order)-pp.dead)
		for _, o := range pp.order {
			if !o.dead {
				live = append(live, o)
			}
		}
		pp.order, pp.dead = live, 0
	}
	return changed
}

// indexOf finds u (by identity) in sorted by a binary search; -1 when it
// is not there.
func indexOf(sorted []*common.URL, u *common.URL) int {
	p, _ := slices.BinarySearchFunc(sorted, u, compareURLs)
	for ; p < len(sorted) && sorted[p] != u && compareURLs(sorted[p], u) == 0; p++ {
	}
	if p < len(sorted) && sorted[p] == u {
		return p
	}
	return -1
}
