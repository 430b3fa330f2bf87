package zookeeper

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"

	"github.com/go-zookeeper/zk"

	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/registry"
)

// categoryReadMsg is the Debug message logged when a category's change
// has been read, before it is applied and delivered: with persistent
// watches, the child created or deleted (the event); with child watches,
// the changed category's children.
const categoryReadMsg = "category read after a change"

// subscription is one Subscribe call: a listener and the services and
// categories it watches.
type subscription struct {
	url        *common.URL // immutable
	listener   registry.NotifyListener
	any        bool     // interface *; immutable
	categories []string // immutable

	// mu serialises deliveries to listener (they never overlap) and
	// guards the fields below.
	mu       sync.Mutex
	stopped  bool
	services map[string]*common.URL // service → URL it is subscribed with
	last     map[string]int64       // category path → pzxid of the last list delivered
	gen      uint64                 // the client generation the pzxids of last are of
	watched  bool                   // the lists of last were read on the watch session (gen is its)
	// parsed keeps, per category path, what the child node names last read
	// became, so a change parses only the new names, unchanged providers
	// keep their *common.URL, and the sorted list is merged, not re-sorted.
	parsed map[string]*parsedPath
}

// parsedPath is the parsed children of one category path.
type parsedPath struct {
	svc    *common.URL             // the URL the matches were decided for
	keyOf  func(string) nameKey    // a child name's key (nameHasher.key)
	nodes  map[nameKey]*parsedNode // by child name's key
	order  []*parsedNode           // every node, in the order of the last read
	sorted []*common.URL           // the matching nodes' URLs, by compareURLs
	gen    uint64                  // the generation of the last read
	// cached: nodes, order and sorted are the last list delivered (a read
	// with a key collision is converted without them).
	cached bool
	// wgen and seq place the last read on the watch session (its
	// generation, the reply's number); 0 for a read with a child watch.
	// Events numbered after it are applied as deltas.
	wgen, seq uint64
	dead      int // nodes of order deleted by a delta
}

func newParsedPath(svc *common.URL, size int) *parsedPath {
	return &parsedPath{svc: svc, keyOf: newNameHasher().key, nodes: make(map[nameKey]*parsedNode, size)}
}

// walkWindow is how far ahead in the last read's order convert looks for
// the next child name: ZooKeeper lists a node's children in the same order
// from one read to the next (its hash set's), give or take the changes.
const walkWindow = 8

// parsedNode is one child name: its key (nameKey; the name itself is not
// kept), its URL (nil when the name is not one), whether it matches the
// subscription, and the last read it was seen in. Nothing is rendered: at
// 100,000 providers a rendered key per provider held ~0.5 KiB each, and
// rendering was most of the cost of a change; the name held ~310 B.
type parsedNode struct {
	key   nameKey
	u     *common.URL
	match bool
	dead  bool // deleted by a delta; still in order until compacted
	seen  uint64
}

func newSubscription(url *common.URL, listener registry.NotifyListener) *subscription {
	s := &subscription{
		url:        url,
		listener:   listener,
		any:        url.ServiceInterface() == common.AnyValue,
		categories: subscribedCategories(url),
		services:   map[string]*common.URL{},
		last:       map[string]int64{},
		parsed:     map[string]*parsedPath{},
	}
	if !s.any {
		s.services[url.ServiceInterface()] = url
	}
	return s
}

// serviceURL is the URL a * subscription watches one service with: its
// own URL with that service as path and interface, and check=false.
func serviceURL(url *common.URL, service string) *common.URL {
	if url.ServiceInterface() != common.AnyValue {
		return url
	}
	return url.WithPath(service).WithParams(map[string]string{common.InterfaceKey: service, common.CheckKey: "false"})
}

// watching returns the URL s watches (iface, category) with, or nil.
func (s *subscription) watching(iface, category string) *common.URL {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopped {
		return nil
	}
	u := s.services[iface]
	if u == nil {
		return nil
	}
	for _, c := range s.categories {
		if c == category {
			return u
		}
	}
	return nil
}

func (s *subscription) stop() {
	s.mu.Lock()
	s.stopped = true
	s.mu.Unlock()
}

// listing is one read of a category's children: at pzxid, by the client
// (child watches) or watch session (persistent watches) of generation gen;
// seq is the reply's number on the watch session.
type listing struct {
	children []string
	pzxid    int64
	gen      uint64
	seq      uint64
	watched  bool
}

// deliverLocked notifies the list of one category read as l, unless a
// newer list was delivered, or the same one and force is false. The pzxids
// of a new client or watch session are not compared with the old one's
// (the server may have come back with less data, so lower zxids), nor
// those of the two kinds of read; a read of a replaced client is dropped.
// s.mu is held.
func (r *Registry) deliverLocked(s *subscription, svc *common.URL, category, path string, l listing, force bool) {
	if s.stopped {
		return
	}
	if l.watched != s.watched {
		clear(s.last)
		s.gen, s.watched = 0, l.watched
	}
	if l.gen < s.gen {
		return
	}
	if l.gen > s.gen {
		clear(s.last)
		s.gen = l.gen
	}
	if last, ok := s.last[path]; ok && (l.pzxid < last || (l.pzxid == last && !force)) {
		return
	}
	s.last[path] = l.pzxid
	urls := r.convert(s, svc, path, l.children)
	if pp := s.parsed[path]; pp != nil {
		pp.wgen, pp.seq = 0, 0
		if l.watched {
			pp.wgen, pp.seq = l.gen, l.seq
		}
	}
	r.notify(s, withEmpty(urls, svc, category))
}

// withEmpty is urls, or the category's empty:// URL when there are none.
func withEmpty(urls []*common.URL, svc *common.URL, category string) []*common.URL {
	if len(urls) == 0 {
		return []*common.URL{emptyURL(svc, category)}
	}
	return urls
}

// notify calls the listener; a panic in it is logged, not spread to the
// registry's goroutine (the next change delivers the full list again).
func (r *Registry) notify(s *subscription, urls []*common.URL) {
	defer func() {
		if p := recover(); p != nil {
			r.log.Error("listener panicked", "url", s.url.String(), "panic", p)
		}
	}()
	s.listener.Notify(urls)
}

// convert is toURLs with s's cache of parsed names for path: only new
// names are parsed and matched, and the sorted list is the last one without
// the names that left and with the new ones. The names are found by their
// keys, walking the last read's order, which ZooKeeper mostly keeps, and
// looked up in the map only when the walk misses; so a read that adds or
// removes a few of n names costs n hashes, a few parses and binary searches
// and the copies of the lists. A key seen twice in one read (a collision:
// ZooKeeper's names are unique) drops the cache and converts the read
// afresh (see nameKey). s.mu is held.
func (r *Registry) convert(s *subscription, svc *common.URL, path string, children []string) []*common.URL {
	pp := s.parsed[path]
	if pp == nil || pp.svc != svc {
		pp = newParsedPath(svc, len(children))
		s.parsed[path] = pp
	}
	pp.gen++
	gen := pp.gen
	var fresh []*common.URL
	var skipped []*parsedNode
	order := make([]*parsedNode, len(children))
	w := 0 // the walk's position in pp.order
	for i, name := range children {
		key := pp.keyOf(name)
		var n *parsedNode
		for p := w; p < len(pp.order) && p < w+walkWindow; p++ {
			if pp.order[p].key == key && !pp.order[p].dead {
				n = pp.order[p]
				skipped = append(skipped, pp.order[w:p]...)
				w = p + 1
				break
			}
		}
		if n == nil {
			n = pp.nodes[key]
		}
		if n != nil && n.seen == gen {
			r.log.Error("two child names of one read share a key; converting the read without the cache",
				"path", path, "node", name)
			clear(pp.nodes)
			pp.order, pp.sorted, pp.cached, pp.dead = nil, nil, false, 0
			return toURLs(svc, children, r.log)
		}
		if n == nil {
			n = &parsedNode{key: key}
			pp.nodes[key] = n
			if strings.Contains(name, encodedScheme) {
				u, err := common.ParseEncoded(name)
				if err != nil {
					r.log.Warn("skipping a registry node that is not a URL", "node", name, "err", err)
				} else {
					n.u, n.match = u, common.IsMatch(svc, u)
					if n.match {
						fresh = append(fresh, u)
					}
				}
			}
		}
		n.seen = gen
		order[i] = n
	}
	skipped = append(skipped, pp.order[w:]...)
	pp.order, pp.cached, pp.dead = order, true, 0
	// The names that left are among those the walk skipped.
	var left []*common.URL
	for _, n := range skipped {
		if n.seen != gen && !n.dead {
			if pp.nodes[n.key] == n {
				delete(pp.nodes, n.key)
			}
			if n.match {
				left = append(left, n.u)
			}
		}
	}
	if len(left) > 0 || len(fresh) > 0 {
		pp.sorted = editSorted(pp.sorted, left, fresh)
	}
	return pp.urls()
}

// urls is the list of the sorted URLs, a copy the listener owns.
func (pp *parsedPath) urls() []*common.URL { return slices.Clone(pp.sorted) }

// editSorted returns sorted (URLs by compareURLs) without left (found by
// identity) and with fresh, as a new slice: the unchanged runs are copied
// whole.
func editSorted(sorted, left, fresh []*common.URL) []*common.URL {
	gone := make([]int, 0, len(left))
	for _, u := range left {
		if p := indexOf(sorted, u); p >= 0 {
			gone = append(gone, p)
		}
	}
	slices.Sort(gone)
	slices.SortFunc(fresh, compareURLs)
	out := make([]*common.URL, 0, len(sorted)-len(gone)+len(fresh))
	i, g := 0, 0
	copyTo := func(upto int) {
		for i < upto {
			if g < len(gone) && gone[g] == i {
				i++
				g++
				continue
			}
			end := upto
			if g < len(gone) && gone[g] < end {
				end = gone[g]
			}
			out = append(out, sorted[i:end]...)
			i = end
		}
	}
	for _, u := range fresh {
		p, _ := slices.BinarySearchFunc(sorted, u, compareURLs)
		copyTo(p)
		out = append(out, u)
	}
	copyTo(len(sorted))
	return out
}

// readCategory reads the children of a category path, creating the path
// when missing, and watches it: with persistent watches on the watch
// session (readWatched), else with a child watch armed in the same request
// on go-zookeeper's.
func (r *Registry) readCategory(path string) (listing, error) {
	if r.persistent.Load() {
		l, fell, err := r.readWatched(path)
		if !fell {
			return l, err
		}
	}
	c := r.client()
	children, st, _, err := c.conn.ChildrenW(path)
	if errors.Is(err, zk.ErrNoNode) {
		if err := ensurePath(c.conn, path, r.nodeData(), r.cfg.acl); err != nil {
			return listing{}, err
		}
		children, st, _, err = c.conn.ChildrenW(path)
	}
	if err != nil {
		return listing{}, translate("children", path, err)
	}
	return listing{children: children, pzxid: st.Pzxid, gen: c.gen}, nil
}

// syncServiceLocked reads and delivers every category of one service of s.
// s.mu is held.
func (r *Registry) syncServiceLocked(s *subscription, service string, svc *common.URL, force bool) error {
	for _, c := range s.categories {
		p := r.cfg.layout.categoryPath(service, c)
		l, err := r.readCategory(p)
		if err != nil {
			return err
		}
		r.deliverLocked(s, svc, c, p, l, force)
	}
	return nil
}

// syncServicesLocked reads the root of a * subscription (arming its
// watch), adds the services not seen before and delivers their lists; with
// all, it re-reads every known service too. s.mu is held.
func (r *Registry) syncServicesLocked(s *subscription, all, force bool) error {
	root := r.cfg.layout.root
	conn := r.client().conn
	children, _, _, err := conn.ChildrenW(root)
	if errors.Is(err, zk.ErrNoNode) {
		if err = ensurePath(conn, root, r.nodeData(), r.cfg.acl); err != nil {
			return err
		}
		children, _, _, err = conn.ChildrenW(root)
	}
	if err != nil {
		return translate("children", root, err)
	}
	for _, c := range children {
		service, err := common.Decode(c)
		if err != nil {
			r.log.Warn("skipping a service node with a bad name", "node", c, "err", err)
			continue
		}
		svc, known := s.services[service]
		if known && !all {
			continue
		}
		if !known {
			svc = serviceURL(s.url, service)
			s.services[service] = svc
		}
		if err := r.syncServiceLocked(s, service, svc, force); err != nil {
			return err
		}
	}
	return nil
}

// resync re-reads everything s watches and delivers what changed (with
// force, every list).
func (r *Registry) resync(s *subscription, force bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopped {
		return nil
	}
	if s.any {
		return r.syncServicesLocked(s, true, force)
	}
	return r.syncServiceLocked(s, s.url.ServiceInterface(), s.url, force)
}

// pathChanged handles a watch event on path: the root (for * subscriptions)
// or a category path, read once and delivered to every subscription
// watching it. It reports whether the reads succeeded.
func (r *Registry) pathChanged(path string) bool {
	subs := r.subscriptions()
	if path == r.cfg.layout.root {
		ok := true
		for _, s := range subs {
			if !s.any {
				continue
			}
			s.mu.Lock()
			err := r.syncServicesLocked(s, false, false)
			s.mu.Unlock()
			if err != nil {
				r.log.Error("reading services failed", "url", s.url.String(), "err", err)
				ok = false
			}
		}
		return ok
	}
	iface, category, ok := r.cfg.layout.parseCategoryPath(path)
	if !ok {
		return true
	}
	targets := r.targets(subs, iface, category)
	if len(targets) == 0 {
		return true // an unsubscribed path: its watch is not re-armed
	}
	l, err := r.readCategory(path)
	if err != nil {
		r.log.Error("reading a category after a change failed", "path", path, "err", err)
		return false
	}
	if r.log.Enabled(context.Background(), slog.LevelDebug) {
		r.log.Debug(categoryReadMsg, "path", path, "children", len(l.children))
	}
	for _, t := range targets {
		t.s.mu.Lock()
		r.deliverLocked(t.s, t.svc, category, path, l, false)
		t.s.mu.Unlock()
	}
	return true
}

// target is a subscription watching a category, and the URL it watches
// the category's service with.
type target struct {
	s   *subscription
	svc *common.URL
}

// targets are the subscriptions of subs watching (iface, category).
func (r *Registry) targets(subs []*subscription, iface, category string) []target {
	var out []target
	for _, s := range subs {
		if svc := s.watching(iface, category); svc != nil {
			out = append(out, target{s, svc})
		}
	}
	return out
}

func (r *Registry) subscriptions() []*subscription {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]*subscription(nil), r.subs...)
}

// Subscribe implements registry.Registry. Every subscribed category (for
// interface *, of every service under the root) is read, its watch armed,
// and its list delivered before Subscribe returns; changes are delivered
// after. Subscribing the same listener to an equal URL again replaces the
// earlier subscription. Notify must not call Subscribe or Unsubscribe of
// this registry.
func (r *Registry) Subscribe(ctx context.Context, url *common.URL, listener registry.NotifyListener) error {
	if listener == nil {
		return fmt.Errorf("zookeeper: subscribe %s: nil listener", url)
	}
	if url.ServiceInterface() == "" {
		return fmt.Errorf("zookeeper: subscribe %s: no interface", url)
	}
	_, cancel, err := r.begin(ctx)
	if err != nil {
		return fmt.Errorf("zookeeper: subscribe %s: %w", url, err)
	}
	defer cancel()

	s := newSubscription(url, listener)
	s.mu.Lock() // events wait until the initial lists are delivered
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		s.mu.Unlock()
		return fmt.Errorf("zookeeper: subscribe %s: %w", url, ErrClosed)
	}
	replaced := r.removeLocked(url, listener)
	r.subs = append(r.subs, s)
	r.mu.Unlock()
	for _, old := range replaced {
		old.stop()
	}

	if s.any {
		err = r.syncServicesLocked(s, true, true)
	} else {
		err = r.syncServiceLocked(s, url.ServiceInterface(), url, true)
	}
	if err != nil {
		s.stopped = true
	}
	s.mu.Unlock()
	if err != nil {
		r.mu.Lock()
		r.removeSubLocked(s)
		r.mu.Unlock()
		return fmt.Errorf("zookeeper: subscribe %s: %w", url, err)
	}
	return nil
}

// Unsubscribe implements registry.Registry: it ends every subscription of
// listener to a URL equal to url. A delivery in progress completes before
// it returns; none starts after.
func (r *Registry) Unsubscribe(_ context.Context, url *common.URL, listener registry.NotifyListener) error {
	r.mu.Lock()
	removed := r.removeLocked(url, listener)
	r.mu.Unlock()
	for _, s := range removed {
		s.stop()
	}
	return nil
}

// removeLocked removes and returns the subscriptions of listener to url.
func (r *Registry) removeLocked(url *common.URL, listener registry.NotifyListener) []*subscription {
	var removed []*subscription
	kept := r.subs[:0]
	for _, s := range r.subs {
		if s.url.Equal(url) && registry.SameListener(s.listener, listener) {
			removed = append(removed, s)
		} else {
			kept = append(kept, s)
		}
	}
	clear(r.subs[len(kept):])
	r.subs = kept
	return removed
}

func (r *Registry) removeSubLocked(target *subscription) {
	for i, s := range r.subs {
		if s == target {
			r.subs = append(r.subs[:i], r.subs[i+1:]...)
			return
		}
	}
}

var _ registry.Registry = (*Registry)(nil)
