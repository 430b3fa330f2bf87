package zookeeper

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/fleetrpc/fleet/common"
)

// client is one go-zookeeper client and its generation, counted from 1 in
// New; the registry replaces it when its session cannot come back.
type client struct {
	conn *zk.Conn
	gen  uint64
}

// client returns the current client.
func (r *Registry) client() *client { return r.cur.Load() }

// clientEvent is an event of the client of generation gen, or, with w
// set, of a watch session.
type clientEvent struct {
	gen uint64
	zk.Event
	w *watchEvent
}

// eventQueue carries the clients' events (session states and watch
// events) to run, in order and without loss: push never blocks, as the
// client's callback must not.
type eventQueue struct {
	mu     sync.Mutex
	events []clientEvent
	wake   chan struct{} // capacity 1
}

func (q *eventQueue) push(ev clientEvent) {
	q.mu.Lock()
	q.events = append(q.events, ev)
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

func (q *eventQueue) take() []clientEvent {
	q.mu.Lock()
	defer q.mu.Unlock()
	evs := q.events
	q.events = nil
	return evs
}

// retryPeriod is how soon run retries a recovery or a re-read that failed
// while the session was up.
const retryPeriod = time.Second

// settleDelay is how long run waits after a reconnection before it sends
// its re-reads: go-zookeeper v1.0.4 re-sends its watches on a new
// connection reading the last zxid unguarded while its receive loop writes
// it for every reply, a data race that replies to requests sent at once
// would hit.
const settleDelay = 50 * time.Millisecond

// sessionState is run's own state; only run touches it.
type sessionState struct {
	gen       uint64      // the current client's generation; others' events are dropped
	stale     *time.Timer // fires a session timeout after the session was lost
	had       bool        // the current client has had a session
	dialsLost uint64      // r.dials when the session was lost
	refused   bool        // the last checkStale saw the ensemble refuse the session
	settle    time.Time   // no re-read before then
	id        int64       // the session last seen up; 0 before the first
	authed    bool        // the digest credentials were added
	recover   bool        // a new session needs what was registered re-created
	resync    bool        // subscriptions need re-reading
	force     bool        // notify re-read lists even when unchanged
	connected bool
	watchGen  uint64 // the last watch session seen up; 0 before the first
}

// run is the registry's goroutine: it follows the session and handles
// watch events until Close.
func (r *Registry) run() {
	defer close(r.done)
	st := sessionState{gen: r.client().gen, stale: time.NewTimer(time.Hour)}
	st.stale.Stop()
	defer st.stale.Stop()
	retry := time.NewTimer(time.Hour)
	retry.Stop()
	defer retry.Stop()
	for {
		select {
		case <-r.quit:
			return
		case <-r.evq.wake:
			for _, ev := range r.evq.take() {
				select {
				case <-r.quit:
					return
				default:
				}
				if ev.w != nil {
					r.handleWatch(&st, ev.w)
				} else if ev.gen == st.gen {
					r.handle(&st, ev.Event)
				}
			}
			r.flushDeltas()
		case <-st.stale.C:
			r.checkStale(&st)
		case <-retry.C:
		}
		if st.connected && (st.recover || st.resync) {
			if wait := time.Until(st.settle); wait > 0 {
				retry.Reset(wait)
			} else if !r.catchUp(&st) {
				retry.Reset(retryPeriod)
			}
		}
	}
}

// handle applies one event.
func (r *Registry) handle(st *sessionState, ev zk.Event) {
	switch ev.Type {
	case zk.EventSession:
		switch ev.State {
		case zk.StateHasSession:
			r.sessionUp(st)
		case zk.StateDisconnected, zk.StateConnecting, zk.StateExpired, zk.StateAuthFailed:
			if st.connected {
				r.log.Warn("zookeeper connection lost; keeping the last lists", "state", ev.State.String())
				st.dialsLost, st.refused = r.dials.Load(), false
				st.stale.Reset(r.cfg.sessionTimeout)
			}
			st.connected = false
			r.connected.Store(false)
			r.setSessionUp(false)
		}
	case zk.EventNodeChildrenChanged, zk.EventNodeDeleted:
		// A read that fails leaves the path's watch unarmed: re-read
		// everything (now, then every retryPeriod until it succeeds).
		if !st.connected || !r.pathChanged(ev.Path) {
			st.resync = true
		}
	}
}

// sessionUp handles a session (re)established: the first one, the same
// one after a connection loss (re-read everything: changes may have been
// missed), or a new one after an expiry (recover).
func (r *Registry) sessionUp(st *sessionState) {
	conn := r.client().conn
	id := conn.SessionID()
	switch {
	case st.id == 0:
		r.log.Info("zookeeper session established", "session", fmt.Sprintf("%#x", id))
	case st.id != id:
		r.log.Warn("zookeeper session expired; re-registering and re-subscribing",
			"old", fmt.Sprintf("%#x", st.id), "new", fmt.Sprintf("%#x", id))
		st.recover, st.resync, st.force = true, true, true
		r.expiries.Add(1)
	default:
		r.log.Info("zookeeper connection restored", "session", fmt.Sprintf("%#x", id))
		st.resync = true
	}
	if st.id != 0 {
		st.settle = time.Now().Add(settleDelay)
	}
	st.id = id
	st.had = true
	st.stale.Stop()
	st.connected = true
	r.connected.Store(true)
	if len(r.cfg.auth) > 0 && !st.authed {
		// The client re-sends credentials it holds on every reconnect.
		if err := conn.AddAuth("digest", r.cfg.auth); err != nil {
			r.log.Error("zookeeper digest auth failed", "err", err)
		} else {
			st.authed = true
		}
	}
	r.setSessionUp(true)
}

// catchUp re-creates registered nodes (after an expiry) and re-reads every
// subscription. It reports whether everything succeeded.
func (r *Registry) catchUp(st *sessionState) bool {
	ok := true
	if st.recover {
		r.mu.Lock()
		regs := make([]*common.URL, 0, len(r.registered))
		for _, u := range r.registered {
			regs = append(regs, u)
		}
		r.mu.Unlock()
		for _, u := range regs {
			if r.quitting() {
				return false
			}
			if err := r.reRegister(u); err != nil {
				r.log.Error("re-register after session expiry failed", "url", u.String(), "err", err)
				ok = false
				if isConnectionError(err) {
					break // the next session event or retry goes on
				}
			}
		}
		if ok {
			st.recover = false
		}
	}
	if st.resync {
		synced := true
		for _, s := range r.subscriptions() {
			if r.quitting() {
				return false
			}
			if err := r.resync(s, st.force); err != nil {
				r.log.Error("re-subscribe failed", "url", s.url.String(), "err", err)
				synced = false
				if isConnectionError(err) {
					break
				}
			}
		}
		if synced {
			st.resync, st.force = false, false
		}
		ok = ok && synced
	}
	return ok
}

// reRegister creates u's node again unless u was unregistered meanwhile.
func (r *Registry) reRegister(u *common.URL) error {
	r.regMu.Lock()
	defer r.regMu.Unlock()
	r.mu.Lock()
	_, still := r.registered[u.FullString()]
	r.mu.Unlock()
	if !still {
		return nil
	}
	return r.createNode(u)
}

func (r *Registry) quitting() bool {
	select {
	case <-r.quit:
		return true
	default:
		return false
	}
}

// setSessionUp opens or closes the gate waitSession waits on.
func (r *Registry) setSessionUp(up bool) {
	r.sessMu.Lock()
	defer r.sessMu.Unlock()
	select {
	case <-r.sessUp:
		if !up {
			r.sessUp = make(chan struct{})
		}
	default:
		if up {
			close(r.sessUp)
		}
	}
}

// waitSession waits until a session is up, ctx is done or the registry
// closes.
func (r *Registry) waitSession(ctx context.Context) error {
	r.sessMu.Lock()
	up := r.sessUp
	r.sessMu.Unlock()
	select {
	case <-up:
		return nil
	default:
	}
	select {
	case <-up:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("%w: %w", ErrNotConnected, ctx.Err())
	case <-r.quit:
		return ErrClosed
	}
}

// connect starts the client of generation gen (and so a new session) and
// makes it the current one. Its goroutines are counted in libWG until the
// client closes its events.
func (r *Registry) connect(gen uint64) (*client, error) {
	conn, events, err := zk.Connect(r.cfg.servers, r.cfg.sessionTimeout,
		zk.WithDialer(r.dial),
		zk.WithHostProvider(&hostRing{}),
		zk.WithLogger(zkLogger{r.log}),
		zk.WithLogInfo(false),
		zk.WithEventCallback(func(ev zk.Event) { r.evq.push(clientEvent{gen: gen, Event: ev}) }),
	)
	if err != nil {
		return nil, err
	}
	r.libWG.Add(1)
	go func() { // the client closes events when its goroutines are done
		defer r.libWG.Done()
		for range events {
		}
	}()
	c := &client{conn: conn, gen: gen}
	r.cur.Store(c)
	return c, nil
}

// newClientMsg is logged when the registry replaces its client.
const newClientMsg = "no zookeeper session for longer than the session timeout; starting a new client"

// checkStale runs a session timeout after the session was lost, then every
// retryPeriod until the session is back: it replaces the client when the
// ensemble has taken connections since the loss without giving a session
// back, seen on two checks in a row. Two connections at least, and two
// checks: a handshake may be going on (the client also re-dials at once
// when the server says its session expired, then gets a new one). A server
// that is only down keeps the client, so that a server that comes back on
// its data revives the session and its ephemeral nodes, rather than every
// registry re-creating its nodes at once.
func (r *Registry) checkStale(st *sessionState) {
	if st.connected || !st.had {
		return
	}
	refused := r.dials.Load() >= st.dialsLost+2 && r.client().conn.State() != zk.StateHasSession
	if !refused || !st.refused {
		st.refused = refused
		st.stale.Reset(retryPeriod)
		return
	}
	r.replaceClient(st)
}

// replaceClient starts a new client, as Curator does after no session for
// longer than the session timeout: the session is gone on the server by
// then, and go-zookeeper v1.0.4 would retry it forever against a server
// that came back with less data than the client saw (it refuses a client
// that saw a later zxid). The old client is closed in the background; its
// events are dropped from now on. The new session is handled as an
// expiry: what was registered is created again and every subscription
// re-read and notified.
func (r *Registry) replaceClient(st *sessionState) {
	r.log.Warn(newClientMsg, "session", r.cfg.sessionTimeout)
	old := r.client()
	c, err := r.connect(old.gen + 1)
	if err != nil { // zk.Connect fails only on a bad server list
		r.log.Error("zookeeper client not replaced", "err", err)
		st.stale.Reset(r.cfg.sessionTimeout)
		return
	}
	st.gen, st.had, st.authed, st.refused = c.gen, false, false, false
	r.libWG.Add(1)
	go func() {
		defer r.libWG.Done()
		old.conn.Close()
	}()
}
