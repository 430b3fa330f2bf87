package dubbo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/protocol"
)

// methodChecker is implemented by invokers that know their methods
// (protocol/service.Invoker); the server then answers an unknown method
// with Dubbo's status 40 instead of calling.
type methodChecker interface {
	HasMethod(name string) bool
}

// server is one TCP listener serving the services exported on its port.
// Goroutines: one accept loop, one reader per connection, up to threads
// workers and the inline guard (see guard); close waits for all of them.
type server struct {
	proto   *Protocol     // immutable
	ln      net.Listener  // immutable
	addr    string        // immutable: the listen address as given
	port    int           // immutable: the bound port
	payload int           // immutable
	idle    time.Duration // immutable: Java's heartbeat timeout, 3 × heartbeat
	direct  bool          // immutable: dispatcher=direct, calls run on the connection's reader
	inlined atomic.Int64  // calls served inline by a reader (tests)
	sem     chan struct{} // immutable: one token per running handler

	ctx    context.Context    // immutable: cancelled by close after the grace period
	values context.Context    // immutable: ctx without its cancellation (see callCtx)
	cancel context.CancelFunc // immutable

	exporters atomic.Pointer[map[string]*exporter] // swapped whole under mu

	handlers sync.WaitGroup // calls accepted and not yet answered
	workers  sync.WaitGroup // worker goroutines
	readers  sync.WaitGroup // accept loop and connection readers
	jobs     chan job       // immutable: calls for the workers; cap = threads

	// The inline guard (see guard): whether it ticks, how it is woken and
	// stopped, and the readers it watches.
	guardOn   atomic.Bool   // the guard ticks (or is being woken)
	guardWake chan struct{} // immutable; cap 1
	guardStop chan struct{} // immutable; closed by close
	guards    sync.WaitGroup
	watchMu   sync.Mutex    // guards watched and the readers' guard fields
	watched   []*connReader // readers that served a call lately

	mu      sync.Mutex // guards conns, closing, started and sending on jobs
	conns   map[*serverConn]struct{}
	closing bool
	started int // workers started
}

type serverConn struct {
	*transport
	remote, local string // immutable
	channel       string // immutable: names the connection in payload errors
}

func newServer(p *Protocol, addr string, u *common.URL) (*server, error) {
	payload, err := u.ParamInt(PayloadKey, DefaultPayload)
	if err != nil {
		return nil, err
	}
	threads, err := u.ParamPositiveInt(ThreadsKey, DefaultThreads)
	if err != nil {
		return nil, err
	}
	hb, err := u.ParamDuration(HeartbeatKey, DefaultHeartbeat)
	if err != nil {
		return nil, err
	}
	ln, err := p.opts.listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &server{
		proto: p, ln: ln, addr: addr, port: ln.Addr().(*net.TCPAddr).Port,
		payload: payload, idle: 3 * hb, direct: u.ParamOr(DispatcherKey, "all") == "direct",
		sem: make(chan struct{}, threads), jobs: make(chan job, threads), ctx: ctx, cancel: cancel,
		values:    context.WithoutCancel(ctx),
		conns:     map[*serverConn]struct{}{},
		guardWake: make(chan struct{}, 1), guardStop: make(chan struct{}),
	}
	s.exporters.Store(&map[string]*exporter{})
	s.readers.Add(1)
	go s.accept()
	s.guards.Add(1)
	go s.guard()
	s.logger().Info("listening")
	return s, nil
}

// logger returns the server's logger, looked up at each use.
func (s *server) logger() *slog.Logger {
	return s.proto.logger().With("listen", s.ln.Addr().String())
}

func (s *server) accept() {
	defer s.readers.Done()
	for {
		nc, err := s.ln.Accept()
		if err != nil {
			if !errors.Is(err, net.ErrClosed) {
				s.logger().Error("accept failed: server stops accepting", "error", err)
			}
			return
		}
		if tc, ok := nc.(*net.TCPConn); ok {
			_ = tc.SetNoDelay(true)
		}
		sc := &serverConn{transport: newTransport(nc), remote: nc.RemoteAddr().String(), local: nc.LocalAddr().String()}
		sc.channel = "consumer: " + sc.remote + " --> provider: " + sc.local
		s.mu.Lock()
		if s.closing {
			s.mu.Unlock()
			_ = nc.Close()
			continue
		}
		s.conns[sc] = struct{}{}
		s.readers.Add(1) // done by the connection's last reader (end)
		s.mu.Unlock()
		go s.serve(sc)
	}
}

// serve reads requests from one connection and dispatches them.
func (s *server) serve(sc *serverConn) {
	fr := NewFrameReader(sc.nc, s.payload, sc.channel)
	fr.budget = s.proto.budget
	fr.dl = &deadlines{conn: sc.nc, idle: s.idle, header: min(s.idle, headerTimeout), body: s.idle}
	if s.idle <= 0 {
		fr.dl.header = headerTimeout
	}
	rd := &connReader{sc: sc, fr: fr, strs: &strTable{}}
	s.read(rd)
}

// end closes a connection whose reading ended; run by its last reader.
func (s *server) end(rd *connReader) {
	rd.fr.release()
	rd.sc.close()
	s.mu.Lock()
	delete(s.conns, rd.sc)
	s.mu.Unlock()
	s.readers.Done()
}

// read reads requests until the connection ends or another goroutine
// took the reading over (see serveInline).
func (s *server) read(rd *connReader) {
	sc, fr := rd.sc, rd.fr
	for {
		if s.direct && !fr.frameBuffered() {
			// Answers of the calls served on this reader go out together
			// once no whole request is left to serve without reading.
			_ = sc.flush()
		}
		h, body, err := fr.ReadFrame()
		if err != nil {
			if !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) {
				s.logger().Debug("connection closed", "remote", sc.remote, "error", err)
			}
			s.end(rd)
			return // an over-limit request, a bad magic or a read error ends the connection
		}
		sc.lastRead.Store(nanotime())
		if !h.Request {
			continue // answers to our events
		}
		c := new(serverCall)
		req := &c.req
		if err := decodeRequest(h, body, req, requestBufs{args: c.args[:0], atts: c.atts[:0], strs: rd.strs, fast: true}); err != nil {
			if h.TwoWay && !h.Event {
				s.respond(sc, &Response{ID: h.ID, Status: StatusBadRequest,
					ErrorMessage: "Fail to decode request due to: " + err.Error()}, false)
			}
			continue
		}
		if req.Event {
			if req.TwoWay {
				s.respond(sc, &Response{ID: req.ID, Status: StatusOK, Event: true, Value: nil}, false)
			}
			continue
		}
		sc.inflight.Add(1)
		switch {
		case s.direct:
			s.handleDirect(sc, c)
		case fr.frameBuffered():
			s.dispatch(sc, c) // the reader goes on with the next
		default:
			if !s.serveInline(rd, c) {
				return // another goroutine reads now
			}
		}
	}
}

// connReader is the read side of one provider connection. One goroutine
// at a time reads it: the connection's reader, which may change while it
// serves a call itself (see serveInline).
type connReader struct {
	sc   *serverConn  // immutable
	fr   *FrameReader // the reader's
	strs *strTable    // the reader's
	next uint64       // the reader's: numbers the calls it serves itself
	// inline is the number of the call the reader is serving itself, 0
	// when none: the reader and the guard race for it by CompareAndSwap.
	inline atomic.Uint64
	since  atomic.Int64 // nanotime the reader started serving its call
	listed atomic.Bool  // in the guard's watched list

	seen  int64 // the guard's (watchMu): since at its last tick
	quiet int   // the guard's (watchMu): ticks without a new call
}

// inlineGuard is how long the default dispatcher lets the reader serve a
// call itself before another goroutine takes the reading over.
const inlineGuard = time.Millisecond

// guardTick is the period of the inline guard: a call served on a reader
// is handed over between inlineGuard and inlineGuard+guardTick after it
// started.
const guardTick = 2 * time.Millisecond

// guardIdleTicks is how many ticks without a call served on a reader the
// guard waits before it stops watching that reader (and ticking, when it
// was the last).
const guardIdleTicks = 50

// serveInline serves the last request of a read on the reader (default
// dispatcher): no hand-off to a worker, so a lone caller's call costs no
// goroutine switch. It holds a worker slot as dispatch would (or dispatch
// answers status 100). A call that runs longer than inlineGuard does not
// hold up the connection: the guard starts reading on another goroutine,
// and this one ends once it answered. It reports whether this goroutine is
// still the reader.
//
// A call served here touches no timer (a change to the runtime's timers
// wakes another thread to watch it, a cost as large as the call's own
// scheduling): it publishes its number and start time, and the server's
// guard, ticking while it watches readers that serve calls, finds it if it
// runs long.
func (s *server) serveInline(rd *connReader, c *serverCall) bool {
	sc := rd.sc
	select {
	case s.sem <- struct{}{}:
	default:
		s.dispatch(sc, c) // answers status 100
		return true
	}
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		<-s.sem
		s.dispatch(sc, c) // answers that the provider is shutting down
		return true
	}
	s.handlers.Add(1)
	s.mu.Unlock()
	rd.next++
	n := rd.next
	rd.since.Store(nanotime())
	rd.inline.Store(n)
	s.inlined.Add(1)
	if !rd.listed.Load() {
		s.watch(rd)
	}
	s.handle(sc, c)
	still := rd.inline.CompareAndSwap(n, 0)
	<-s.sem
	s.handlers.Done()
	return still
}

// watch has the guard watch rd, whose reader starts serving a call, and
// wakes the guard when it sleeps.
func (s *server) watch(rd *connReader) {
	if !rd.listed.CompareAndSwap(false, true) {
		return
	}
	s.watchMu.Lock()
	s.watched = append(s.watched, rd)
	s.watchMu.Unlock()
	if !s.guardOn.Load() && s.guardOn.CompareAndSwap(false, true) {
		select {
		case s.guardWake <- struct{}{}:
		default:
		}
	}
}

// guard hands over the reading of connections whose reader has been
// serving one call for inlineGuard: the call's goroutine answers it and
// ends, a new goroutine reads on. It ticks every guardTick while it watches
// readers (those that served a call in the last guardIdleTicks ticks),
// sleeps when it watches none (the next reader to serve a call wakes it),
// and ends when the server closes.
//
// One guard per server rather than a timer per connection: a call costs
// no timer change, and a tick costs the same for one busy connection as
// for many (idle connections are not watched).
func (s *server) guard() {
	defer s.guards.Done()
	t := time.NewTicker(guardTick)
	t.Stop()
	defer t.Stop()
	for {
		select {
		case <-s.guardWake:
		case <-s.guardStop:
			return
		}
		t.Reset(guardTick)
		for {
			select {
			case <-t.C:
			case <-s.guardStop:
				return
			}
			if s.sweep() {
				continue
			}
			s.guardOn.Store(false)
			// A reader listed after the sweep may have seen the guard on
			// and not woken it: tick on for it.
			s.watchMu.Lock()
			more := len(s.watched) > 0
			s.watchMu.Unlock()
			if !more || !s.guardOn.CompareAndSwap(false, true) {
				break
			}
		}
		t.Stop()
	}
}

// sweep hands over the reading of the watched connections whose reader has
// been serving one call for inlineGuard, and stops watching readers without
// a new call for guardIdleTicks ticks. It reports whether it still watches
// any.
func (s *server) sweep() bool {
	now := nanotime()
	s.watchMu.Lock()
	defer s.watchMu.Unlock()
	kept := s.watched[:0]
	for _, rd := range s.watched {
		if s.check(rd, now) {
			kept = append(kept, rd)
		}
	}
	clear(s.watched[len(kept):])
	s.watched = kept
	return len(kept) > 0
}

// check is sweep's work on one reader: it reports whether rd stays
// watched. s.watchMu is held.
func (s *server) check(rd *connReader, now int64) bool {
	n := rd.inline.Load()
	since := rd.since.Load() // stored before inline: call n's or a later one's
	if since != rd.seen || n != 0 {
		rd.seen, rd.quiet = since, 0
		if n != 0 && time.Duration(now-since) >= inlineGuard && rd.inline.CompareAndSwap(n, 0) {
			go s.read(rd)
		}
		return true
	}
	if rd.quiet++; rd.quiet < guardIdleTicks {
		return true
	}
	rd.quiet = 0
	rd.listed.Store(false)
	// A call that began meanwhile saw rd listed: keep watching it, unless
	// its reader listed it again (it appends once this sweep is done).
	if rd.inline.Load() != 0 || rd.since.Load() != since {
		return rd.listed.CompareAndSwap(false, true)
	}
	return false
}

// handleDirect serves a call on the connection's reader (dispatcher=direct):
// no hand-off to a worker, so a call costs no goroutine switch, but the
// next request on the connection is read only after it was answered. The
// answers of requests that arrived together are written together.
func (s *server) handleDirect(sc *serverConn, c *serverCall) {
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		if c.req.TwoWay {
			s.respond(sc, &Response{ID: c.req.ID, Status: StatusServiceError,
				ErrorMessage: "provider is shutting down: " + sc.local}, false)
		}
		sc.inflight.Add(-1)
		return
	}
	s.handlers.Add(1)
	s.mu.Unlock()
	defer s.handlers.Done()
	s.handle(sc, c)
}

// serverCall is everything one call needs on the provider, allocated at
// once: the request, room for its arguments and attachments, the
// invocation the invoker gets, its context and its response. What the
// invoker sees (the invocation, its slices, the context) may outlive the
// call, so a serverCall is never reused.
type serverCall struct {
	req  Request
	args [2]any
	atts [8]protocol.Attachment
	inv  invocation
	ctx  callCtx
	resp Response
}

// headerTimeout bounds how long the rest of a frame header may take once
// its first byte arrived.
const headerTimeout = 5 * time.Second

// job is one call for a worker.
type job struct {
	sc *serverConn
	c  *serverCall
}

// dispatch hands a call to a worker, starting one when every started worker
// is busy, or answers status 100 when threads calls are already running.
// Workers are started lazily, up to threads, and live until close, so their
// stacks stay grown (a goroutine per call would grow a fresh stack each time).
func (s *server) dispatch(sc *serverConn, c *serverCall) {
	req := &c.req
	select {
	case s.sem <- struct{}{}:
	default:
		if req.TwoWay {
			s.respond(sc, &Response{ID: req.ID, Status: StatusThreadpoolExhausted, ErrorMessage: fmt.Sprintf(
				"Server side(%s,%d) thread pool is exhausted, detail msg:Thread pool is EXHAUSTED! Thread Name: fleet-dubbo, Pool Size: %d (active: %d), in %s!",
				hostOf(sc.local), s.port, cap(s.sem), len(s.sem), sc.local)}, false)
		}
		sc.inflight.Add(-1)
		return
	}
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		<-s.sem
		if req.TwoWay {
			s.respond(sc, &Response{ID: req.ID, Status: StatusServiceError,
				ErrorMessage: "provider is shutting down: " + sc.local}, false)
		}
		sc.inflight.Add(-1)
		return
	}
	s.handlers.Add(1)
	if s.started < len(s.sem) {
		s.started++
		s.workers.Add(1)
		go s.work()
	}
	s.jobs <- job{sc, c} // never blocks: the semaphore bounds the jobs to the buffer
	s.mu.Unlock()
}

// work runs calls until the server closes.
func (s *server) work() {
	defer s.workers.Done()
	for j := range s.jobs {
		s.runJob(j)
	}
}

// runJob serves one call on a worker slot.
func (s *server) runJob(j job) {
	defer func() {
		<-s.sem
		s.handlers.Done()
	}()
	s.handle(j.sc, j.c)
}

func hostOf(addr string) string {
	h, _, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	return h
}

func (s *server) respond(sc *serverConn, r *Response, withAtts bool) {
	bp := framePool.Get().(*[]byte)
	frame, err := EncodeResponse((*bp)[:0], r, withAtts, s.payload, sc.channel)
	if err != nil {
		s.logger().Warn("response over the payload limit: answered status 50", "remote", sc.remote, "error", err)
	}
	if s.direct {
		_ = sc.queue(frame) // the reader flushes before it waits for input
	} else {
		_ = sc.write(frame)
	}
	if cap(frame) <= 64<<10 {
		*bp = frame[:0]
		framePool.Put(bp)
	}
}

// appendExportKey appends the key a request names to b:
// [group/]path[:version]:port.
func appendExportKey(b []byte, req *Request, port int) []byte {
	path, version, group := req.Path, req.ServiceVersion, ""
	for _, a := range req.Attachments {
		s, _ := a.Value.(string)
		switch a.Key {
		case "path":
			path = s
		case "version":
			version = s
		case "group":
			group = s
		}
	}
	if group != "" {
		b = append(b, group...)
		b = append(b, '/')
	}
	b = append(b, path...)
	if version != "" && version != "0.0.0" && version != "*" {
		b = append(b, ':')
		b = append(b, version...)
	}
	b = append(b, ':')
	return strconv.AppendInt(b, int64(port), 10)
}

// handle serves one call and answers it.
func (s *server) handle(sc *serverConn, c *serverCall) {
	req := &c.req
	defer sc.inflight.Add(-1)
	resp := s.safeCall(sc, c)
	if req.TwoWay {
		resp.ID = req.ID
		s.respond(sc, resp, supportsResponseAttachments(req.DubboVersion))
	}
}

// safeCall is call answering a panic of the invoker with status 80.
func (s *server) safeCall(sc *serverConn, c *serverCall) (resp *Response) {
	req := &c.req
	defer func() {
		if p := recover(); p != nil {
			s.logger().Error("call panicked", "method", req.Method, "panic", p)
			resp = &Response{Status: StatusServerError, ErrorMessage: fmt.Sprintf("panic serving %s: %v", req.Method, p)}
		}
	}()
	return s.call(sc, c)
}

func (s *server) call(sc *serverConn, c *serverCall) *Response {
	req := &c.req
	var kb [128]byte
	kbuf := appendExportKey(kb[:0], req, s.port)
	exporters := *s.exporters.Load()
	e := exporters[string(kbuf)]
	if e == nil {
		key := string(kbuf)
		return &Response{Status: StatusServiceError, ErrorMessage: fmt.Sprintf(
			"Not found exported service: %s in %v, may be version or group mismatch , channel: consumer: %s --> provider: %s, message:%s",
			key, slices.Sorted(maps.Keys(exporters)), sc.remote, sc.local, requestString(req))}
	}
	generic := (req.Method == protocol.GenericMethod || req.Method == protocol.GenericAsyncMethod) &&
		req.Desc == genericDesc && len(req.Args) == 3
	echo := req.Method == protocol.EchoMethod && len(req.Args) == 1
	if !generic && !echo {
		if mc, ok := e.invoker.(methodChecker); ok && !mc.HasMethod(req.Method) {
			return &Response{Status: StatusBadRequest, ErrorMessage: "Service not found:" + req.Path + ", " + req.Method}
		}
	}
	if echo {
		return &Response{Status: StatusOK, Value: req.Args[0]}
	}
	inv := &c.inv
	*inv = invocation{method: req.Method, desc: req.Desc, args: req.Args, atts: req.Attachments}
	if generic {
		return s.generic(e, inv)
	}
	ctx := s.ctx
	if dl, ok := s.deadlineOf(req); ok {
		c.ctx.init(s.ctx, s.values, dl)
		defer c.ctx.end(context.Canceled)
		ctx = &c.ctx
	}
	c.resp = responseOf(e.invoker.Invoke(ctx, inv))
	return &c.resp
}

// responseOf turns a Result into a response: a business error becomes a
// Java exception, other errors a status with the error's text.
func responseOf(res protocol.Result) Response {
	err := res.Error()
	if err == nil {
		return Response{Status: StatusOK, Value: res.Value(), Attachments: res.Attachments()}
	}
	switch protocol.KindOf(err) {
	case protocol.KindBusiness:
		return Response{Status: StatusOK, Exception: err}
	case protocol.KindSerialization, protocol.KindUnknown:
		return Response{Status: StatusBadRequest, ErrorMessage: err.Error()}
	case protocol.KindLimit:
		return Response{Status: StatusThreadpoolExhausted, ErrorMessage: err.Error()}
	default:
		return Response{Status: StatusServiceError, ErrorMessage: err.Error()}
	}
}

// callContext returns the context a call runs under: the server's,
// bounded by the consumer's timeout attachment (plus callSlack, so that the
// consumer's own timeout fires first) when it sent one: a method that
// honours its context stops once nobody waits for it.
func (s *server) callContext(req *Request) (context.Context, context.CancelFunc) {
	if dl, ok := s.deadlineOf(req); ok {
		return context.WithDeadline(s.ctx, dl)
	}
	return s.ctx, func() {}
}

// deadlineOf returns the deadline of a call from the consumer's timeout
// attachment, plus callSlack; false when it sent none.
func (s *server) deadlineOf(req *Request) (time.Time, bool) {
	for _, a := range req.Attachments {
		if a.Key != common.TimeoutKey {
			continue
		}
		var ms int64
		switch v := a.Value.(type) {
		case string:
			ms, _ = strconv.ParseInt(v, 10, 64)
		case int32:
			ms = int64(v)
		case int64:
			ms = v
		}
		if ms > 0 {
			return time.Now().Add(time.Duration(ms)*time.Millisecond + callSlack), true
		}
	}
	return time.Time{}, false
}

// closeFlushTimeout bounds how long closing a server waits to write the
// answers a direct-dispatch reader still holds.
const closeFlushTimeout = time.Second

// callSlack is how much longer than the consumer's timeout a call may run.
const callSlack = 100 * time.Millisecond

func requestString(r *Request) string {
	return fmt.Sprintf("RpcInvocation [methodName=%s, parameterTypesDesc=%s]", r.Method, r.Desc)
}

// close stops the server gracefully: it stops accepting, tells every
// consumer the server is read-only, waits up to grace for in-flight
// requests to be answered, then closes the connections and waits for every
// goroutine.
func (s *server) close(grace time.Duration) {
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		return
	}
	s.closing = true
	conns := slices.Collect(maps.Keys(s.conns))
	s.mu.Unlock()
	_ = s.ln.Close()
	if ro, err := EncodeRequest(nil, &Request{ID: s.proto.nextID(), Event: true, EventData: "R"}, 0, ""); err == nil {
		for _, sc := range conns {
			_ = sc.write(ro)
		}
	}
	done := make(chan struct{})
	go func() {
		s.handlers.Wait()
		close(done)
	}()
	t := time.NewTimer(grace)
	select {
	case <-done:
	case <-t.C:
		s.logger().Warn("in-flight requests still running after the grace period: cancelling", "grace", grace)
		s.cancel()
		<-done
	}
	t.Stop()
	s.cancel()
	s.mu.Lock()
	open := slices.Collect(maps.Keys(s.conns))
	close(s.jobs)
	s.mu.Unlock()
	for _, sc := range open {
		if s.direct {
			// Answers a reader still holds go out first, within a bound.
			_ = sc.nc.SetWriteDeadline(time.Now().Add(closeFlushTimeout))
			_ = sc.flush()
		}
		sc.close()
	}
	close(s.guardStop)
	s.guards.Wait()
	s.readers.Wait()
	s.workers.Wait()
	s.logger().Info("closed")
}
