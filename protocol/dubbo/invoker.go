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
type invoker struct {
	proto   *Protocol   // immutable
	url     *common.URL // immutable
	clients []*client   // immutable; shared with other invokers when shared
	shared  bool        // immutable

	// Immutable values derived from the URL.
	serviceKey  string
	address     string
	path        string // the service name sent: interface, else path
	urlPath     string
	iface       string
	version     string
	group       string
	token       string
	payload     int
	sendTimeout bool
	channel     string

	// The attachment values above, boxed once.
	boxed struct{ path, iface, version, group, token any }

	next        atomic.Uint32 // round robin over clients
	destroyed   atomic.Bool
	lastTimeout atomic.Pointer[boxedTimeout] // the timeout attachment of the last call
}

func newInvoker(p *Protocol, u *common.URL, payload int) *invoker {
	iface := u.ServiceInterface()
	version := u.Version()
	if version == "" {
		version = "0.0.0"
	}
	token, _ := u.Param(common.TokenKey)
	i := &invoker{
		proto: p, url: u,
		serviceKey: u.ServiceKey(), address: u.Address(),
		path: iface, urlPath: u.Path(), iface: iface, version: version, group: u.Group(), token: token,
		payload: payload, sendTimeout: u.ParamBool(SendTimeoutKey, true),
		channel: "consumer -> " + u.Address(),
	}
	i.boxed.path, i.boxed.iface, i.boxed.version = i.urlPath, i.iface, i.version
	i.boxed.group, i.boxed.token = i.group, i.token
	return i
}

// URL implements protocol.Invoker.
func (i *invoker) URL() *common.URL { return i.url }

// IsAvailable implements protocol.Invoker: true while a connection is up
// and not read-only, or the first dial is in progress.
func (i *invoker) IsAvailable() bool {
	if i.destroyed.Load() {
		return false
	}
	for _, c := range i.clients {
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
	if i.destroyed.Swap(true) {
		return
	}
	i.proto.release(i)
}

func (i *invoker) fail(kind protocol.Kind, method, msg string, cause error) protocol.Result {
	return protocol.ErrorResult(protocol.NewError(kind, i.serviceKey, method, i.address, msg, cause))
}

// framePool recycles the buffers requests are encoded into.
var framePool = sync.Pool{New: func() any { b := make([]byte, 0, 512); return &b }}

// Invoke implements protocol.Invoker. The call's timeout is the method's
// timeout parameter (default 1000 ms), narrowed by ctx's deadline; it
// covers waiting for the connection, sending and the answer. A one-way
// method (return=false) returns once its request is queued.
func (i *invoker) Invoke(ctx context.Context, inv protocol.Invocation) protocol.Result {
	method := inv.MethodName()
	if i.destroyed.Load() {
		return i.fail(protocol.KindNetwork, method, "invoker destroyed", nil)
	}
	// A timeout <= 0 or malformed is the default, as Java's
	// getMethodPositiveParameter reads it (the directory logs it).
	timeout, _ := i.url.MethodParamPositiveDuration(protocol.RealMethodName(inv), common.TimeoutKey, common.DefaultTimeout)
	if dl, ok := ctx.Deadline(); ok {
		if left := time.Until(dl); left < timeout {
			timeout = left
		}
	}
	if timeout <= 0 {
		return i.fail(protocol.KindTimeout, method, "deadline exceeded before the call", ctx.Err())
	}
	oneWay := !i.url.MethodParamBool(method, ReturnKey, true)

	req := Request{ID: i.proto.nextID(), TwoWay: !oneWay, Path: i.path, ServiceVersion: i.version, Method: method}
	if types := inv.ParameterTypes(); types != nil {
		req.Desc = paramDescCached(types)
	} else {
		req.Desc = argsDesc(inv.Arguments())
	}
	req.Args = inv.Arguments()
	cl := callPool.Get().(*call)
	req.Attachments = i.appendAttachments(cl.atts[:0], inv, timeout)

	bp := framePool.Get().(*[]byte)
	frame, err := EncodeRequest((*bp)[:0], &req, i.payload, i.channel)
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
	c := i.clients[0]
	if len(i.clients) > 1 {
		c = i.clients[int(i.next.Add(1))%len(i.clients)]
	}
	cc, err := c.conn(ctx, deadline)
	if err != nil {
		cl.release()
		switch {
		case errors.Is(err, errConnectWait):
			return i.fail(protocol.KindTimeout, method, fmt.Sprintf(
				"Invoke remote method timeout. method: %s, provider: %s, cause: no connection within %v", method, i.address, timeout), nil)
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
			"Invoke remote method timeout. method: %s, provider: %s, cause: no response within %v", method, i.address, timeout), nil)
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
		return protocol.ErrorResult(protocol.NewError(protocol.KindBusiness, i.serviceKey, method, i.address, "", r.Exception))
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
func (i *invoker) appendAttachments(atts []protocol.Attachment, inv protocol.Invocation, timeout time.Duration) []protocol.Attachment {
	own := inv.Attachments()
	atts = append(atts,
		protocol.Attachment{Key: "path", Value: i.boxed.path},
		protocol.Attachment{Key: "interface", Value: i.boxed.iface},
		protocol.Attachment{Key: "version", Value: i.boxed.version})
	if i.group != "" {
		atts = append(atts, protocol.Attachment{Key: "group", Value: i.boxed.group})
	}
	if i.token != "" {
		atts = append(atts, protocol.Attachment{Key: "token", Value: i.boxed.token})
	}
	if i.sendTimeout {
		atts = append(atts, protocol.Attachment{Key: "timeout", Value: i.timeoutValue(timeout)})
	}
	if protocol.IsGeneric(inv) {
		if _, ok := inv.Attachment(common.GenericKey); !ok {
			atts = append(atts, protocol.Attachment{Key: common.GenericKey, Value: "true"})
		}
	}
	for _, a := range own {
		if !reservedKey(a.Key) || a.Key == "timeout" && !i.sendTimeout {
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
func (i *invoker) timeoutValue(d time.Duration) any {
	d = d.Truncate(time.Millisecond)
	if last := i.lastTimeout.Load(); last != nil && last.d == d {
		return last.v
	}
	b := &boxedTimeout{d: d, v: formatMillis(d)}
	i.lastTimeout.Store(b)
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
