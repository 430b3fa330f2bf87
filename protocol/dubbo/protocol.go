package dubbo

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/protocol"
)

// Name is the protocol's name and URL scheme.
const Name = "dubbo"

func init() { protocol.Register(Name, New()) }

// URL parameters read by the protocol, beyond common's.
const (
	ConnectionsKey      = "connections"
	ShareConnectionsKey = "shareconnections"
	HeartbeatKey        = "heartbeat"
	HeartbeatTimeoutKey = "heartbeat.timeout"
	ConnectTimeoutKey   = "connect.timeout"
	PayloadKey          = "payload"
	ThreadsKey          = "threads"
	// DispatcherKey: "direct" runs a provider's calls on the connection's
	// reader, one at a time per connection, without the worker pool (Java's
	// direct dispatcher); anything else uses the pool, except for the last
	// request of a read, which the reader serves itself, handing the
	// reading to another goroutine once that call ran 1 ms.
	DispatcherKey    = "dispatcher"
	SerializationKey = "serialization"
	ReturnKey        = "return"
	// SendTimeoutKey: false stops the consumer sending the timeout
	// attachment (Java 2.7 does not send it; 2.6 providers need it).
	SendTimeoutKey = "sendtimeout"
)

// Defaults of those parameters.
const (
	DefaultHeartbeat        = 60 * time.Second
	DefaultConnectTimeout   = 3 * time.Second
	DefaultThreads          = 200
	DefaultShareConnections = 1
)

// Protocol is the dubbo:// protocol: it refers providers over shared,
// multiplexed TCP connections and exports services on TCP servers.
//
// Request ids come from one counter per Protocol starting at 0 (as Java's
// per-process counter), shared by heartbeats. A Protocol is safe for
// concurrent use.
type Protocol struct {
	budget *readBudget                                                          // immutable
	dial   func(ctx context.Context, network, address string) (net.Conn, error) // immutable
	opts   options                                                              // immutable

	ids atomic.Int64

	mu        sync.Mutex // guards the fields below
	shared    map[addrKey]*sharedClients
	nShared   atomic.Int32 // len(shared), read without mu
	services  map[serviceValues]*serviceData
	servers   map[string]*server // by listen address
	invokers  map[*invoker]struct{}
	exporters map[*exporter]struct{}
	destroyed bool
}

// addrKey is a provider address as a map key, made without allocating.
type addrKey struct {
	host string
	port int
}

func addrKeyOf(u *common.URL) addrKey { return addrKey{u.Host(), u.Port()} }

// sharedClients are the connections shared by the invokers of one address
// that have been used (linked).
type sharedClients struct {
	clients []*client
	refs    int
}

// New returns a dubbo protocol. Most programs use the registered one
// (protocol.Get("dubbo")); New is for a private logger or dialer, and tests.
func New(opts ...Option) *Protocol {
	o := options{grace: 10 * time.Second, readBudget: DefaultReadBudget}
	for _, opt := range opts {
		opt(&o)
	}
	if o.listen == nil {
		o.listen = net.Listen
	}
	if o.dial == nil {
		d := &net.Dialer{KeepAlive: 30 * time.Second}
		o.dial = d.DialContext
	}
	return &Protocol{
		budget:    &readBudget{max: o.readBudget},
		dial:      o.dial,
		opts:      o,
		shared:    map[addrKey]*sharedClients{},
		services:  map[serviceValues]*serviceData{},
		servers:   map[string]*server{},
		invokers:  map[*invoker]struct{}{},
		exporters: map[*exporter]struct{}{},
	}
}

// logger returns the protocol's logger: the one given, else slog.Default()
// as it is now.
func (p *Protocol) logger() *slog.Logger {
	l := p.opts.logger
	if l == nil {
		l = slog.Default()
	}
	return l.With("component", "protocol/dubbo")
}

// nextID returns a fresh request id (0 first).
func (p *Protocol) nextID() int64 { return p.ids.Add(1) - 1 }

func settingsOf(u *common.URL) (clientSettings, error) {
	var s clientSettings
	var err error
	if s.payload, err = u.ParamInt(PayloadKey, DefaultPayload); err != nil {
		return s, err
	}
	if s.heartbeat, err = u.ParamDuration(HeartbeatKey, DefaultHeartbeat); err != nil {
		return s, err
	}
	if s.heartbeatTimeout, err = u.ParamDuration(HeartbeatTimeoutKey, 3*s.heartbeat); err != nil {
		return s, err
	}
	if s.heartbeatTimeout < 2*s.heartbeat {
		s.heartbeatTimeout = 2 * s.heartbeat
	}
	return s, nil
}

// Refer implements protocol.Protocol. It never dials, and makes no
// connection state: the invoker's first call does, and waits for the first
// dial. With connections=N (N > 0) the invoker gets N connections of its
// own, else it shares the address's shareconnections (default 1)
// connections with other invokers of this Protocol. Invokers of one service
// share the values derived from their URLs.
func (p *Protocol) Refer(u *common.URL) (protocol.Invoker, error) {
	if u.Port() <= 0 || u.Host() == "" {
		return nil, fmt.Errorf("dubbo: refer %s: no host:port", u)
	}
	if s := u.ParamOr(SerializationKey, "hessian2"); s != "hessian2" {
		return nil, fmt.Errorf("dubbo: refer %s: unsupported serialization %q (only hessian2)", u, s)
	}
	settings, err := settingsOf(u)
	if err != nil {
		return nil, fmt.Errorf("dubbo: refer %s: %w", u, err)
	}
	// Bad counts and the connect timeout fall back as common's bounded
	// getters say (connections < 0 is 0: shared), logged once per invoker.
	var err1, err2, err3 error
	settings.connectTimeout, err1 = u.ParamPositiveDuration(ConnectTimeoutKey, DefaultConnectTimeout)
	n, err2 := u.ParamNonNegativeInt(ConnectionsKey, 0)
	share, err3 := u.ParamPositiveInt(ShareConnectionsKey, DefaultShareConnections)
	if err := errors.Join(err1, err2, err3); err != nil {
		p.logger().Warn("bad URL parameters replaced by their defaults", "url", u, "error", err)
	}
	v := valuesOf(u, settings, n, share)
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.destroyed {
		return nil, fmt.Errorf("dubbo: refer %s: protocol destroyed", u)
	}
	svc := p.services[v]
	if svc == nil {
		svc = newServiceData(p, v)
		p.services[v] = svc
	}
	svc.refs++
	inv := &invoker{svc: svc, url: u}
	p.invokers[inv] = struct{}{}
	return inv, nil
}

// link makes inv's link: its own clients, or a share of its address's
// (made by the first invoker of the address to need them). The clients
// dial on their first call.
func (p *Protocol) link(inv *invoker) (*link, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if l := inv.link.Load(); l != nil { // linked or destroyed meanwhile
		if l == destroyedLink {
			return nil, errInvokerDestroyed
		}
		return l, nil
	}
	if p.destroyed {
		return nil, errInvokerDestroyed
	}
	svc, addr := inv.svc, inv.url.Address()
	var l *link
	if svc.conns > 0 {
		clients := make([]*client, svc.conns)
		for k := range clients {
			clients[k] = newClient(p, addr, svc.settings)
		}
		l = newLink(inv.url, clients, false)
	} else {
		key := addrKeyOf(inv.url)
		sc := p.shared[key]
		if sc == nil {
			sc = &sharedClients{clients: make([]*client, svc.share)}
			for k := range sc.clients {
				sc.clients[k] = newClient(p, addr, svc.settings)
			}
			p.shared[key] = sc
			p.nShared.Add(1)
		}
		sc.refs++
		l = newLink(inv.url, sc.clients, true)
	}
	// Only Destroy changes the link without p.mu: then it is destroyed,
	// and the share just taken is given back.
	if !inv.link.CompareAndSwap(nil, l) {
		p.unshareLocked(inv, l)
		return nil, errInvokerDestroyed
	}
	return l, nil
}

// sharedAvailable tells whether an invoker of u's address that has not
// linked yet may be called: true unless its address's shared clients, made
// by another invoker, are all unavailable. It takes p.mu only while some
// address has shared clients.
func (p *Protocol) sharedAvailable(u *common.URL) bool {
	if p.nShared.Load() == 0 {
		return true
	}
	p.mu.Lock()
	sc := p.shared[addrKeyOf(u)]
	p.mu.Unlock()
	if sc == nil {
		return true
	}
	for _, c := range sc.clients {
		if c.available() {
			return true
		}
	}
	return false
}

// unshareLocked gives back l's share of its address's clients, returning
// them when they are to be closed; p.mu is held.
func (p *Protocol) unshareLocked(inv *invoker, l *link) []*client {
	if !l.shared {
		return l.clients
	}
	key := addrKeyOf(inv.url)
	if sc := p.shared[key]; sc != nil {
		sc.refs--
		if sc.refs == 0 {
			delete(p.shared, key)
			p.nShared.Add(-1)
			return sc.clients
		}
	}
	return nil
}

// release lets go of a destroyed invoker: its share of the service data
// and, when it was linked (l != nil), its connections (its own, or its
// share of the address's). Destroy calls it once per invoker.
func (p *Protocol) release(inv *invoker, l *link) {
	var closing []*client
	p.mu.Lock()
	delete(p.invokers, inv)
	svc := inv.svc
	svc.refs--
	if svc.refs == 0 {
		delete(p.services, svc.serviceValues)
	}
	if l != nil {
		closing = p.unshareLocked(inv, l)
	}
	p.mu.Unlock()
	closeClients(closing)
}

func closeClients(cs []*client) {
	var wg sync.WaitGroup
	for _, c := range cs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.close()
		}()
	}
	wg.Wait()
}

// Destroy implements protocol.Protocol: it unexports every service (closing
// the servers gracefully), destroys every invoker and waits for every
// goroutine the protocol started. Idempotent.
func (p *Protocol) Destroy() {
	p.mu.Lock()
	if p.destroyed {
		p.mu.Unlock()
		return
	}
	p.destroyed = true
	invokers := p.invokers
	p.invokers = map[*invoker]struct{}{} // Destroy below deletes from this one
	exporters := p.exporters
	p.mu.Unlock()
	for e := range exporters {
		e.Unexport()
	}
	for inv := range invokers {
		inv.Destroy()
	}
}
