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
// generation gen) to every subscription watching the category, and
// delivers each its new list. A subscription whose cache cannot take the
// change (see applyLocked) has the path read in full. It reports whether
// that read succeeded.
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
		if !r.applyLocked(t.s, t.svc, category, path, name, created, gen, seq) {
			reread = true
		}
		t.s.mu.Unlock()
	}
	if reread {
		return r.pathChanged(path)
	}
	return true
}

// applyLocked applies a child of path created or deleted to s's cache and
// delivers the new list when the child is a matching provider URL. An
// event numbered before the last read of path on the same session is
// already in that read and is dropped. It reports false when the cache
// does not hold the last read of path on this session (or holds it
// converted without the cache): path must then be read in full. s.mu is
// held.
func (r *Registry) applyLocked(s *subscription, svc *common.URL, category, path, name string, created bool, gen, seq uint64) bool {
	if s.stopped {
		return true
	}
	pp := s.parsed[path]
	if pp == nil || pp.svc != svc || !pp.cached || !s.watched || pp.wgen != gen {
		return false
	}
	if seq <= pp.seq {
		return true
	}
	pp.seq = seq
	var changed bool
	if created {
		changed = pp.add(name, r.log)
	} else {
		changed = pp.remove(name)
	}
	if changed {
		r.notify(s, withEmpty(pp.urls(), svc, category))
	}
	return true
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
