package zookeeper

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/fleetrpc/fleet/registry/zookeeper/internal/zkwatch"
)

// watchSession is the registry's session for watching (zkwatch): the
// category paths it has a persistent recursive watch on, and its
// generation, counted from 1 per Registry.
type watchSession struct {
	sess *zkwatch.Session // immutable
	gen  uint64           // immutable
	addr string           // immutable

	mu      sync.Mutex
	watched map[string]bool // paths addWatch succeeded on
}

func (ws *watchSession) isWatching(p string) bool {
	ws.mu.Lock()
	defer ws.mu.Unlock()
	return ws.watched[p]
}

func (ws *watchSession) setWatching(p string) {
	ws.mu.Lock()
	ws.watched[p] = true
	ws.mu.Unlock()
}

// watchKind says what a watchEvent is.
type watchKind int

const (
	watchNode watchKind = iota // a notification of a watch session
	watchUp                    // a watch session was established
	watchOff                   // the server refused addWatch: child watches from now on
)

// watchEvent is what the watch sessions send run through the event queue.
type watchEvent struct {
	kind watchKind
	gen  uint64
	ev   zkwatch.Event
}

// Backoff of the watch session's reconnection.
const (
	watchBackoffMin = 50 * time.Millisecond
	watchBackoffMax = retryPeriod
)

// currentWatch is the watch session up now, nil when none, and a channel
// closed once one is.
func (r *Registry) currentWatch() (*watchSession, <-chan struct{}) {
	r.wsMu.Lock()
	defer r.wsMu.Unlock()
	return r.ws, r.wsReady
}

func (r *Registry) setWatch(ws *watchSession) {
	r.wsMu.Lock()
	defer r.wsMu.Unlock()
	r.ws = ws
	if ws != nil {
		close(r.wsReady)
	} else {
		r.wsReady = make(chan struct{})
	}
}

// watchLoop keeps a watch session up until Close or a fall back to child
// watches: it dials the ensemble's members in turn with a growing backoff
// (also after a session that lasted less than watchBackoffMax), tells run
// of each new session (which re-reads every subscription on it
// when it is not the first) and starts a new one whenever it ends. A
// session is never resumed: the new one has no watches and no read, so
// nothing can be missed between the two.
func (r *Registry) watchLoop() {
	defer close(r.watchDone)
	ctx := r.watchCtx
	backoff := watchBackoffMin
	for attempt := 0; ctx.Err() == nil && r.persistent.Load(); attempt++ {
		addr := r.cfg.servers[attempt%len(r.cfg.servers)]
		gen := uint64(attempt + 1)
		dctx, cancel := context.WithTimeout(ctx, r.cfg.timeout)
		sess, err := zkwatch.Dial(dctx, zkwatch.Config{
			Address:        addr,
			SessionTimeout: r.cfg.sessionTimeout,
			Dial:           r.watchDial,
			Digest:         r.cfg.auth,
			OnEvent: func(ev zkwatch.Event) {
				r.evq.push(clientEvent{w: &watchEvent{kind: watchNode, gen: gen, ev: ev}})
			},
		})
		cancel()
		if err != nil {
			r.log.Debug("zookeeper watch session not established", "server", addr, "err", err)
			select {
			case <-ctx.Done():
			case <-time.After(backoff):
			}
			backoff = min(2*backoff, watchBackoffMax)
			continue
		}
		up := time.Now()
		ws := &watchSession{sess: sess, gen: gen, addr: addr, watched: map[string]bool{}}
		r.setWatch(ws)
		r.log.Debug("zookeeper watch session established", "server", addr, "session", fmt.Sprintf("%#x", sess.ID()))
		r.evq.push(clientEvent{w: &watchEvent{kind: watchUp, gen: gen}})
		select {
		case <-sess.Done():
			if errors.Is(sess.Err(), zkwatch.ErrUnimplemented) {
				r.fallBack(ws) // as the read that got the refusal does: whichever first
			} else {
				r.log.Warn("zookeeper watch session lost; starting a new one and reading the lists again",
					"server", addr, "err", sess.Err())
			}
		case <-ctx.Done():
		}
		r.setWatch(nil)
		sess.Close()
		if time.Since(up) >= watchBackoffMax {
			backoff = watchBackoffMin
			continue
		}
		// A session that ends soon after it began (a server taking
		// connections and dropping them) is not redialled at once.
		select {
		case <-ctx.Done():
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, watchBackoffMax)
	}
}

// startWatch starts watchLoop once, unless Close came first: a registry
// that only registers never opens a watch session.
func (r *Registry) startWatch() {
	r.watchOnce.Do(func() {
		if r.watchCtx.Err() != nil {
			close(r.watchDone)
			return
		}
		go r.watchLoop()
	})
}

// watchSessionFor returns the watch session to read on, starting it the
// first time and waiting for one up to the registry timeout; nil without
// an error when persistent watches are off.
func (r *Registry) watchSessionFor() (*watchSession, error) {
	if !r.persistent.Load() {
		return nil, nil
	}
	r.startWatch()
	timer := time.NewTimer(r.cfg.timeout)
	defer timer.Stop()
	for {
		if !r.persistent.Load() {
			return nil, nil
		}
		ws, ready := r.currentWatch()
		if ws != nil {
			return ws, nil
		}
		select {
		case <-ready:
		case <-r.watchCtx.Done():
			if !r.persistent.Load() {
				return nil, nil
			}
			return nil, ErrClosed
		case <-timer.C:
			return nil, fmt.Errorf("watch session: %w", ErrNotConnected)
		}
	}
}

// fallBack turns persistent watches off for good, once: the server
// answered addWatch with UNIMPLEMENTED (ZooKeeper before 3.6). run then
// re-reads every subscription with child watches.
func (r *Registry) fallBack(ws *watchSession) {
	if r.persistent.CompareAndSwap(true, false) {
		r.log.Warn("the zookeeper server does not support persistent watches (addWatch, ZooKeeper 3.6+); using child watches",
			"server", ws.addr)
		r.watchCancel()
		r.evq.push(clientEvent{w: &watchEvent{kind: watchOff}})
	}
}

// readWatched reads path's children on the watch session, after adding a
// persistent recursive watch on it there (once per session): the events
// numbered after the read's reply are the changes since. A missing path is
// created (on go-zookeeper's session) and read again. fell is true when
// persistent watches are off (or just turned off): read with a child
// watch instead.
func (r *Registry) readWatched(path string) (l listing, fell bool, err error) {
	ws, err := r.watchSessionFor()
	if err != nil {
		return listing{}, false, err
	}
	if ws == nil {
		return listing{}, true, nil
	}
	ctx, cancel := context.WithTimeout(r.watchCtx, r.cfg.timeout)
	defer cancel()
	if !ws.isWatching(path) {
		err := ws.sess.AddWatch(ctx, path, zkwatch.PersistentRecursive)
		if errors.Is(err, zkwatch.ErrUnimplemented) {
			r.fallBack(ws)
			return listing{}, true, nil
		}
		if err != nil {
			return listing{}, !r.persistent.Load(), watchError("add watch", path, err)
		}
		ws.setWatching(path)
	}
	ch, err := ws.sess.Children(ctx, path)
	if errors.Is(err, zkwatch.ErrNoNode) {
		if err := ensurePath(r.client().conn, path, r.nodeData(), r.cfg.acl); err != nil {
			return listing{}, false, err
		}
		ch, err = ws.sess.Children(ctx, path)
	}
	if err != nil {
		return listing{}, !r.persistent.Load(), watchError("children", path, err)
	}
	return listing{children: ch.Names, pzxid: ch.Stat.Pzxid, gen: ws.gen, seq: ch.Seq, watched: true}, false, nil
}

// watchError is translate for the watch session: the server's answers
// keep their code; anything else (the session ended, no reply, a bad
// frame) wraps ErrNotConnected.
func watchError(op, path string, err error) error {
	var code zkwatch.Error
	if errors.As(err, &code) {
		return fmt.Errorf("%s %s: %w", op, path, err)
	}
	return fmt.Errorf("%s %s: %w: %w", op, path, ErrNotConnected, err)
}

// handleWatch applies one event of the watch sessions (run).
func (r *Registry) handleWatch(st *sessionState, we *watchEvent) {
	switch we.kind {
	case watchUp:
		if st.watchGen != 0 {
			st.resync = true // a new session: read everything again on it
		}
		st.watchGen = we.gen
	case watchOff:
		st.resync, st.force = true, true
	case watchNode:
		if ws, _ := r.currentWatch(); ws == nil || ws.gen != we.gen {
			return // an ended session's: its successor reads everything again
		}
		if !r.nodeEvent(we.gen, we.ev) {
			st.resync = true
		}
	}
}

// nodeEvent handles a notification of the persistent recursive watch on a
// category path: a child created or deleted is a change of that
// category's list; the category path's own deletion re-reads it (it is
// created again, empty); the rest (grandchildren, data) is ignored. It
// reports whether the re-reads it needed succeeded.
func (r *Registry) nodeEvent(gen uint64, ev zkwatch.Event) bool {
	if ev.Type != zkwatch.EventNodeCreated && ev.Type != zkwatch.EventNodeDeleted {
		return true
	}
	i := strings.LastIndexByte(ev.Path, '/')
	if i <= 0 {
		return true
	}
	parent, name := ev.Path[:i], ev.Path[i+1:]
	if iface, category, ok := r.cfg.layout.parseCategoryPath(parent); ok {
		return r.childChanged(parent, iface, category, name, ev.Type == zkwatch.EventNodeCreated, gen, ev.Seq)
	}
	if ev.Type == zkwatch.EventNodeDeleted {
		if _, _, ok := r.cfg.layout.parseCategoryPath(ev.Path); ok {
			return r.pathChanged(ev.Path)
		}
	}
	return true
}
