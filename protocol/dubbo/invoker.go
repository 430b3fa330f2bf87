package dubbo

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/protocol"
)

// invoker calls one provider over dubbo://. It implements protocol.Invoker.
//
// A consumer refers every provider listed but calls few of them, so an
// invoker that was never called holds only its URL, the data it shares with
// the other invokers of its service, and a nil link: 24 bytes. Everything a
// call needs per provider (the clients, the address, the channel name, the
// token, the round robin and timeout caches) is made by its first call or
// connection request (linked).
type invoker struct {
	svc     *serviceData         // immutable; shared by the invokers of equal values
	url     *common.URL          // immutable
	link    atomic.Pointer[link] // nil until first used; destroyedLink once destroyed
	methods methodConfigs        // the URL's settings of the methods called
}

// serviceValues are the immutable values an invoker derives from its URL
// that the providers of one service usually have in common. Invokers whose
// values are equal share one serviceData (Protocol.services).
type serviceValues struct {
	serviceKey  string
	path        string // the service name sent: interface, else path
	urlPath     string
	version     string
	group       string
	payload     int
	sendTimeout bool
	conns       int // connections: > 0 dedicated clients, else shared
	share       int // shareconnections
	settings    clientSettings
}

// serviceData is what the invokers of one serviceValues share: the values,
// their attachment values boxed once, and the protocol.
type serviceData struct {
	serviceValues
	proto *Protocol // immutable
	boxed struct{ path, iface, version, group any }
	refs  int // invokers using it; guarded by proto.mu
}

// link is the per-provider state of an invoker that has been used: made by
// its first call (or connection request), never by Refer.
type link struct {
	clients []*client // immutable; shared with other invokers when shared
	shared  bool      // immutable
	address string    // immutable
	channel string    // immutable: names the connection in payload errors
	token   string    // immutable
	boxedTk any       // token, boxed once

	next        atomic.Uint32                // round robin over clients
	lastTimeout atomic.Pointer[boxedTimeout] // the timeout attachment of the last call
}

// destroyedLink marks a destroyed invoker.
var destroyedLink = &link{}

// errInvokerDestroyed fails the calls of a destroyed invoker.
var errInvokerDestroyed = errors.New("invoker destroyed")

// valuesOf derives an invoker's shared values from its URL and settings.
func valuesOf(u *common.URL, s clientSettings, conns, share int) serviceValues {
	version := u.Version()
	if version == "" {
		version = "0.0.0"
	}
	return serviceValues{
		serviceKey: u.ServiceKey(), path: u.ServiceInterface(), urlPath: u.Path(), version: version, group: u.Group(),
		payload: s.payload, sendTimeout: u.ParamBool(SendTimeoutKey, true),
		conns: conns, share: share, settings: s,
	}
}

func newServiceData(p *Protocol, v serviceValues) *serviceData {
	d := &serviceData{serviceValues: v, proto: p}
	d.boxed.path, d.boxed.iface, d.boxed.version, d.boxed.group = v.urlPath, v.path, v.version, v.group
	return d
}

// newLink makes an invoker's link with the given clients.
func newLink(u *common.URL, clients []*client, shared bool) *link {
	token, _ := u.Param(common.TokenKey)
	addr := u.Address()
	return &link{clients: clients, shared: shared, address: addr, channel: "consumer -> " + addr, token: token, boxedTk: token}
}

// linked returns the invoker's link, making it (and its clients, which do
// not dial yet) on first use.
func (i *invoker) linked() (*link, error) {
	if l := i.link.Load(); l != nil {
		if l == destroyedLink {
			return nil, errInvokerDestroyed
		}
		return l, nil
	}
	return i.svc.proto.link(i)
}

// address returns the provider's address (host:port).
func (i *invoker) address() string {
	if l := i.link.Load(); l != nil && l != destroyedLink {
		return l.address
	}
	return i.url.Address()
}

// URL implements protocol.Invoker.
func (i *invoker) URL() *common.URL { return i.url }

// IsAvailable implements protocol.Invoker: true while a connection is up
// and not read-only, or one would be dialled by a call (never tried,
// dialling, or the backoff window over). It never makes the link.
func (i *invoker) IsAvailable() bool {
	l := i.link.Load()
	switch l {
	case destroyedLink:
		return false
	case nil:
		// Never used: available unless it would share the clients of
		// another invoker of its address, which may be failing.
		return i.svc.conns > 0 || i.svc.proto.sharedAvailable(i.url)
	}
	for _, c := range l.clients {
		if c.available() {
			return true
		}
	}
	return false
}

// Destroy implements protocol.Invoker: it releases the invoker's
// connections (closing them when no other invoker shares them), which fails
// the calls pending on them, and waits for their goroutines. Idempotent.
func (i *invoker) Destroy() {
	old := i.link.Swap(destroyedLink)
	if old == destroyedLink {
		return
	}
	i.svc.proto.release(i, old)
}

func (i *invoker) fail(kind protocol.Kind, method, msg string, cause error) protocol.Result {
	return protocol.ErrorResult(protocol.NewError(kind, i.svc.serviceKey, method, i.address(), msg, cause))
}

// framePool recycles the buffers requests are encoded into.
var framePool = sync.Pool{New: func() any { b := make([]byte, 0, 512); return &b }}

// Invoke implements protocol.Invoker. The call's timeout is the method's
// timeout parameter (default 1000 ms), narrowed by ctx's deadline; it
// covers waiting for the connection, sending and the answer. A one-way
// method (return=false) returns once its request is queued.
func (i *invoker) Invoke(ctx context.Context, inv protocol.Invocation) protocol.Result {
	method := inv.MethodName()
	l, err := i.linked()
	if err != nil {
		return i.fail(protocol.KindNetwork, method, err.Error(), nil)
	}
	mc := i.methodConfig(method, protocol.RealMethodName(inv))
	timeout := mc.timeout
	if dl, ok := ctx.Deadline(); ok {
		if left := time.Until(dl); left < timeout {
			timeout = left
		}
	}
	if timeout <= 0 {
		return i.fail(protocol.KindTimeout, method, "deadline exceeded before the call", ctx.Err())
	}
	oneWay := mc.oneWay

	svc := i.svc
	req := Request{ID: svc.proto.nextID(), TwoWay: !oneWay, Path: svc.path, ServiceVersion: svc.version, Method: method}
	if types := inv.ParameterTypes(); types != nil {
		req.Desc = paramDescCached(types)
	} else {
		req.Desc = argsDesc(inv.Arguments())
	}
	req.Args = inv.Arguments()
	cl := callPool.Get().(*call)
	req.Attachments = i.appendAttachments(l, cl.atts[:0], inv, timeout)

	bp := framePool.Get().(*[]byte)
	frame, err := EncodeRequest((*bp)[:0], &req, svc.payload, l.channel)
	clear(cl.atts[:])
	if err != nil {
		cl.release()
		framePool.Put(bp)
		var perr *PayloadError
		if errors.As(err, &perr) {
			return i.fail(protocol.KindLimit, method, perr.Error(), nil)
		}
		return i.fail(protocol.KindSerialization, method, "", err)
	}
	defer func() {
		if cap(frame) <= 64<<10 {
			*bp = frame[:0]
			framePool.Put(bp)
		}
	}()

	deadline := time.Now().Add(timeout)
	c := l.clients[0]
	if len(l.clients) > 1 {
		c = l.clients[int(l.next.Add(1))%len(l.clients)]
	}
	cc, err := c.conn(ctx, deadline)
	if err != nil {
		cl.release()
		switch {
		case errors.Is(err, errConnectWait):
			return i.fail(protocol.KindTimeout, method, fmt.Sprintf(
				"Invoke remote method timeout. method: %s, provider: %s, cause: no connection within %v", method, l.address, timeout), nil)
		case ctx.Err() != nil:
			return i.fail(protocol.KindTimeout, method, "", err)
		}
		return i.fail(protocol.KindNetwork, method, "no connection", err)
	}
	if oneWay {
		cl.release()
		if err := cc.write(frame); err != nil {
			return i.fail(protocol.KindNetwork, method, "send request", err)
		}
		return protocol.NewResult(nil, nil)
	}
	cc.inflight.Add(1)
	defer cc.inflight.Add(-1)
	if !cc.register(req.ID, cl) {
		cl.release()
		return i.fail(protocol.KindNetwork, method, "connection closed", nil)
	}
	if err := cc.write(frame); err != nil {
		if cc.remove(req.ID) {
			cl.release()
		} else {
			<-cl.done // the reader failed it meanwhile
			cl.release()
		}
		return i.fail(protocol.KindNetwork, method, "send request", err)
	}
	switch cc.await(ctx, req.ID, cl, deadline) {
	case timedOut:
		cl.release()
		return i.fail(protocol.KindTimeout, method, fmt.Sprintf(
			"Invoke remote method timeout. method: %s, provider: %s, cause: no response within %v", method, l.address, timeout), nil)
	case cancelled:
		cl.release()
		return i.fail(protocol.KindTimeout, method, "", ctx.Err())
	}
	res := i.result(method, &cl.resp)
	cl.release()
	return res
}

// timerPool recycles the timers of calls.
var timerPool sync.Pool

// getTimer returns a timer firing after d.
func getTimer(d time.Duration) *time.Timer {
	if t, ok := timerPool.Get().(*time.Timer); ok {
		t.Reset(d)
		return t
	}
	return time.NewTimer(d)
}

// putTimer stops t and returns it to the pool, drained whatever the
// timer channel semantics of the main module's Go version.
func putTimer(t *time.Timer) {
	if !t.Stop() {
		select {
		case <-t.C:
		default:
		}
	}
	timerPool.Put(t)
}

// result turns a response into a Result.
func (i *invoker) result(method string, r *Response) protocol.Result {
	if r.Status != StatusOK {
		return i.fail(StatusKind(r.Status, r.ErrorMessage), method,
			fmt.Sprintf("status %d: %s", r.Status, r.ErrorMessage), nil)
	}
	if r.Exception != nil {
		return protocol.ErrorResult(protocol.NewError(protocol.KindBusiness, i.svc.serviceKey, method, i.address(), "", r.Exception))
	}
	return protocol.NewResult(r.Value, r.Attachments)
}

// reservedKey reports whether the invoker sets attachment k itself.
func reservedKey(k string) bool {
	switch k {
	case "path", "interface", "version", "group", "token", "timeout":
		return true
	}
	return false
}

// appendAttachments appends what the request carries to atts: path,
// interface, version, group (when set), token (when set), timeout (unless
// sendtimeout=false), generic=true on generic calls, then the invocation's
// own attachments in their order. The invoker's own values are boxed once.
func (i *invoker) appendAttachments(l *link, atts []protocol.Attachment, inv protocol.Invocation, timeout time.Duration) []protocol.Attachment {
	own := inv.Attachments()
	svc := i.svc
	atts = append(atts,
		protocol.Attachment{Key: "path", Value: svc.boxed.path},
		protocol.Attachment{Key: "interface", Value: svc.boxed.iface},
		protocol.Attachment{Key: "version", Value: svc.boxed.version})
	if svc.group != "" {
		atts = append(atts, protocol.Attachment{Key: "group", Value: svc.boxed.group})
	}
	if l.token != "" {
		atts = append(atts, protocol.Attachment{Key: "token", Value: l.boxedTk})
	}
	if svc.sendTimeout {
		atts = append(atts, protocol.Attachment{Key: "timeout", Value: l.timeoutValue(timeout)})
	}
	if protocol.IsGeneric(inv) {
		if _, ok := inv.Attachment(common.GenericKey); !ok {
			atts = append(atts, protocol.Attachment{Key: common.GenericKey, Value: "true"})
		}
	}
	for _, a := range own {
		if !reservedKey(a.Key) || a.Key == "timeout" && !svc.sendTimeout {
			atts = append(atts, a)
		}
	}
	return atts
}

// boxedTimeout is a timeout attachment value, boxed.
type boxedTimeout struct {
	d time.Duration
	v any
}

// timeoutValue returns the timeout attachment of d: the one of the last
// call when it had the same timeout in ms (the usual case), else a new one.
func (l *link) timeoutValue(d time.Duration) any {
	d = d.Truncate(time.Millisecond)
	if last := l.lastTimeout.Load(); last != nil && last.d == d {
		return last.v
	}
	b := &boxedTimeout{d: d, v: formatMillis(d)}
	l.lastTimeout.Store(b)
	return b.v
}

func formatMillis(d time.Duration) string {
	return strconv.FormatInt(d.Milliseconds(), 10)
}

// argsDesc derives the descriptor of undeclared arguments (see ValueDesc).
func argsDesc(args []any) string {
	switch len(args) {
	case 0:
		return ""
	case 1:
		return ValueDesc(args[0])
	}
	var b strings.Builder
	for _, a := range args {
		b.WriteString(ValueDesc(a))
	}
	return b.String()
}
