package nacos

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nacos-group/nacos-sdk-go/v2/common/constant"
	"github.com/nacos-group/nacos-sdk-go/v2/common/http_agent"
	"github.com/nacos-group/nacos-sdk-go/v2/common/nacos_server"
	"github.com/nacos-group/nacos-sdk-go/v2/common/remote/rpc"
	"github.com/nacos-group/nacos-sdk-go/v2/common/remote/rpc/rpc_request"
	"github.com/nacos-group/nacos-sdk-go/v2/common/remote/rpc/rpc_response"
	"github.com/nacos-group/nacos-sdk-go/v2/model"
)

// ErrClosed is returned by the methods of a closed NamingClient.
var ErrClosed = errors.New("nacos: client closed")

// ErrNotConnected is returned by a request made while no connection to a
// server came up within its timeout.
var ErrNotConnected = errors.New("nacos: not connected to a server")

// ErrRefused is returned when the server answers a request without
// success.
var ErrRefused = errors.New("nacos: server refused the request")

// NamingOption configures NewNamingClient.
type NamingOption func(*namingOptions)

type namingOptions struct {
	logger       *slog.Logger
	onConnection func(connected bool)
}

// WithLogger sets the client's logger; nil means slog.Default().
func WithLogger(l *slog.Logger) NamingOption { return func(o *namingOptions) { o.logger = l } }

// WithConnectionListener sets a function called, on the SDK's event
// goroutine, each time the connection to the server comes up (after what
// was registered and subscribed has been sent again) and goes down. It
// must not block or call the client.
func WithConnectionListener(fn func(connected bool)) NamingOption {
	return func(o *namingOptions) { o.onConnection = fn }
}

// NamingClient is a Nacos 2.x naming client on the SDK's gRPC transport.
//
// It keeps what it registered and what it subscribed, and sends both again
// whenever a connection comes up (a server restart loses ephemeral
// instances and subscriptions). Every instance it registers is ephemeral.
// Several instances of one service registered through one client are sent
// together (Nacos 2 keeps one registration per service and connection; a
// batch replaces it). Subscribed services are re-read every Config.Poll
// besides the server's pushes, and a service older (by its refresh time)
// than the last one seen is dropped, so a late answer never replaces a
// newer list.
//
// Methods are safe for concurrent use. Close stops every goroutine the
// client and the SDK started for it.
type NamingClient struct {
	cfg    Config       // immutable
	log    *slog.Logger // immutable
	opts   namingOptions
	server *nacos_server.NacosServer
	rpc    *rpc.RpcClient
	ctx    context.Context // the SDK's goroutines stop when it is done
	cancel context.CancelFunc
	quit   chan struct{} // closed by Close: the poller returns
	done   chan struct{} // closed when the poller has returned
	down   chan struct{} // one token per disconnection event

	// regMu serialises the registration requests and their redo, so the
	// server always ends with the last set sent. Taken before mu.
	regMu sync.Mutex

	mu         sync.Mutex // guards the fields below
	registered map[string]*registration
	watches    map[string]*watch
	nextID     int
	closed     bool
	connected  bool

	lastEvent atomic.Int64 // unix nanoseconds of the last connection event

	closeOnce sync.Once
}

// eventQuiet is how long Close waits for no connection event before it
// stops the SDK's event loop.
const eventQuiet = 200 * time.Millisecond

type registration struct {
	service, group string
	instances      []model.Instance // sorted by ip:port
}

// watch is one subscribed service and its subscribers.
type watch struct {
	service, group string
	fns            map[int]func(model.Service)

	mu      sync.Mutex // serialises deliveries; guards last, have
	last    model.Service
	have    bool
	version int // bumped by every delivery, for tests
}

// NewNamingClient starts a client for cfg. It makes the SDK log to slog
// (InstallLogger) and tries the servers once, briefly: a server that is
// down is not an error; the client keeps reconnecting in the background.
func NewNamingClient(cfg Config, opts ...NamingOption) (*NamingClient, error) {
	var o namingOptions
	for _, opt := range opts {
		opt(&o)
	}
	if o.logger == nil {
		o.logger = slog.Default()
	}
	if len(cfg.Servers) == 0 {
		return nil, errors.New("nacos: no server")
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.Poll <= 0 {
		cfg.Poll = DefaultPoll
	}
	if cfg.Group == "" {
		cfg.Group = DefaultGroup
	}
	if cfg.Client.TimeoutMs == 0 {
		cfg.Client.TimeoutMs = uint64(cfg.Timeout / time.Millisecond)
	}
	if cfg.Client.NamespaceId == "" {
		cfg.Client.NamespaceId = cfg.Namespace
	}
	InstallLogger()
	ctx, cancel := context.WithCancel(context.Background())
	server, err := nacos_server.NewNacosServer(ctx, cfg.Servers, cfg.Client, &http_agent.HttpAgent{},
		cfg.Client.TimeoutMs, "")
	if err != nil {
		cancel()
		return nil, fmt.Errorf("nacos: %w", err)
	}
	var id [8]byte
	_, _ = rand.Read(id[:])
	ic, err := rpc.CreateClient(ctx, "fleet-naming-"+hex.EncodeToString(id[:]), rpc.GRPC, map[string]string{
		constant.LABEL_SOURCE: constant.LABEL_SOURCE_SDK,
		constant.LABEL_MODULE: constant.LABEL_MODULE_NAMING,
	}, server)
	if err != nil {
		cancel()
		return nil, fmt.Errorf("nacos: %w", err)
	}
	c := &NamingClient{
		cfg:        cfg,
		log:        o.logger.With("component", "nacos/naming", "namespace", cfg.Namespace),
		opts:       o,
		server:     server,
		rpc:        ic.GetRpcClient(),
		ctx:        ctx,
		cancel:     cancel,
		quit:       make(chan struct{}),
		done:       make(chan struct{}),
		down:       make(chan struct{}, 1),
		registered: map[string]*registration{},
		watches:    map[string]*watch{},
	}
	c.rpc.RegisterConnectionListener(connListener{c})
	c.rpc.RegisterServerRequestHandler(func() rpc_request.IRequest {
		return &rpc_request.NotifySubscriberRequest{NamingRequest: &rpc_request.NamingRequest{}}
	}, pushHandler{c})
	c.rpc.Start()
	go c.poll()
	return c, nil
}

// Config is the client's configuration.
func (c *NamingClient) Config() Config { return c.cfg }

// Connected reports whether a connection to a server is up.
func (c *NamingClient) Connected() bool { return c.rpc.IsRunning() }

func key(service, group string) string { return group + constant.SERVICE_INFO_SPLITER + service }

// timeout is the request timeout: the configured one, narrowed by ctx.
func (c *NamingClient) timeout(ctx context.Context) (int64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	d := c.cfg.Timeout
	if dl, ok := ctx.Deadline(); ok {
		if r := time.Until(dl); r < d {
			d = r
		}
	}
	if d < time.Millisecond {
		return 0, context.DeadlineExceeded
	}
	return int64(d / time.Millisecond), nil
}

// request sends req and returns the response; an unsuccessful answer is
// ErrRefused unless lenient (polaris answers a subscribe without
// success=true).
func (c *NamingClient) request(ctx context.Context, req rpc_request.IRequest, lenient bool) (rpc_response.IResponse, error) {
	ms, err := c.timeout(ctx)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	closed := c.closed
	c.mu.Unlock()
	if closed {
		return nil, ErrClosed
	}
	if err := c.waitConnected(ctx, ms); err != nil {
		return nil, err
	}
	c.server.InjectSign(req, req.GetHeaders(), c.cfg.Client)
	c.server.InjectSecurityInfo(req.GetHeaders())
	resp, err := c.rpc.Request(req, ms)
	if err != nil {
		return nil, err
	}
	if resp == nil {
		return nil, fmt.Errorf("%w: no response", ErrRefused)
	}
	if !lenient && !resp.IsSuccess() && resp.GetResultCode() != constant.RESPONSE_CODE_SUCCESS {
		return nil, fmt.Errorf("%w: code %d: %s", ErrRefused, resp.GetErrorCode(), resp.GetMessage())
	}
	return resp, nil
}

// waitConnected waits up to ms milliseconds (and ctx) for a connection.
// The SDK's transport reads its connection without synchronisation while
// it reconnects (a data race in v2.2.x); a request is only handed to it
// once its status, an atomic, says a connection is up, which orders that
// read after the write of the connection.
func (c *NamingClient) waitConnected(ctx context.Context, ms int64) error {
	if c.rpc.IsRunning() {
		return nil
	}
	deadline := time.NewTimer(time.Duration(ms) * time.Millisecond)
	defer deadline.Stop()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for !c.rpc.IsRunning() {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-c.quit:
			return ErrClosed
		case <-deadline.C:
			return ErrNotConnected
		case <-tick.C:
		}
	}
	return nil
}

// Register registers inst (made ephemeral) in service of group, adding it
// to what this client registered there; an instance with the same ip and
// port is replaced. A failed request leaves the instance recorded: it is
// sent again when a connection comes up.
func (c *NamingClient) Register(ctx context.Context, service, group string, inst model.Instance) error {
	return c.RegisterAll(ctx, service, group, []model.Instance{inst})
}

// RegisterAll registers insts (made ephemeral) in service of group in one
// request, as Register does for each.
func (c *NamingClient) RegisterAll(ctx context.Context, service, group string, insts []model.Instance) error {
	type addr struct {
		ip   string
		port uint64
	}
	add := make(map[addr]model.Instance, len(insts))
	for _, inst := range insts {
		inst.Ephemeral = true
		if inst.ClusterName == "" {
			inst.ClusterName = "DEFAULT"
		}
		add[addr{inst.Ip, inst.Port}] = inst
	}
	c.regMu.Lock()
	defer c.regMu.Unlock()
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return ErrClosed
	}
	k := key(service, group)
	r := c.registered[k]
	if r == nil {
		r = &registration{service: service, group: group}
		c.registered[k] = r
	}
	list := make([]model.Instance, 0, len(r.instances)+len(add))
	for _, i := range r.instances {
		if _, replaced := add[addr{i.Ip, i.Port}]; !replaced {
			list = append(list, i)
		}
	}
	for _, i := range add {
		list = append(list, i)
	}
	sortInstances(list)
	r.instances = list
	c.mu.Unlock()
	return c.send(ctx, service, group, list, nil)
}

// Deregister removes the instance at ip:port from what this client
// registered in service of group.
func (c *NamingClient) Deregister(ctx context.Context, service, group, ip string, port uint64) error {
	c.regMu.Lock()
	defer c.regMu.Unlock()
	c.mu.Lock()
	k := key(service, group)
	r := c.registered[k]
	if r == nil {
		c.mu.Unlock()
		return nil
	}
	var gone *model.Instance
	list := make([]model.Instance, 0, len(r.instances))
	for i := range r.instances {
		if r.instances[i].Ip == ip && r.instances[i].Port == port {
			gone = &r.instances[i]
			continue
		}
		list = append(list, r.instances[i])
	}
	if gone == nil {
		c.mu.Unlock()
		return nil
	}
	r.instances = list
	if len(list) == 0 {
		delete(c.registered, k)
	}
	c.mu.Unlock()
	return c.send(ctx, service, group, list, gone)
}

// send makes the server hold list for this client in service: first a
// deregisterInstance of gone when there is one, then one registerInstance
// for one instance or a batch for several. This order is right for both
// kinds of server: Nacos 2 keeps one registration per service and
// connection (a deregister drops all of it, a register or batch replaces
// it), polaris adds and removes instance by instance. c.regMu is held.
func (c *NamingClient) send(ctx context.Context, service, group string, list []model.Instance, gone *model.Instance) error {
	ns := c.cfg.Client.NamespaceId
	var reqs []rpc_request.IRequest
	if gone != nil {
		reqs = append(reqs, rpc_request.NewInstanceRequest(ns, service, group, "deregisterInstance", *gone))
	}
	switch {
	case len(list) == 1:
		reqs = append(reqs, rpc_request.NewInstanceRequest(ns, service, group, "registerInstance", list[0]))
	case len(list) > 1:
		reqs = append(reqs, rpc_request.NewBatchInstanceRequest(ns, service, group, "batchRegisterInstance", list))
	}
	for _, req := range reqs {
		if _, err := c.request(ctx, req, false); err != nil {
			return fmt.Errorf("nacos: %s %s: %w", req.GetRequestType(), key(service, group), err)
		}
	}
	return nil
}

// Subscribe subscribes fn to service of group and returns the service as
// the server has it now. fn is called with every newer state of the
// service (pushed by the server or re-read every Config.Poll), including
// the one returned, in order, never two at once; it must not block or call
// the client. The returned function ends the subscription. When the
// request fails, the subscription stays (it is sent again when a
// connection comes up) and the error is returned with a working cancel.
func (c *NamingClient) Subscribe(ctx context.Context, service, group string, fn func(model.Service)) (model.Service, func(), error) {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return model.Service{}, func() {}, ErrClosed
	}
	k := key(service, group)
	w := c.watches[k]
	if w == nil {
		w = &watch{service: service, group: group, fns: map[int]func(model.Service){}}
		c.watches[k] = w
	}
	id := c.nextID
	c.nextID++
	w.fns[id] = fn
	c.mu.Unlock()
	cancel := func() { c.unsubscribe(k, id) }

	svc, err := c.subscribeRequest(ctx, w)
	if err != nil {
		return model.Service{}, cancel, fmt.Errorf("nacos: subscribe %s: %w", k, err)
	}
	c.process(w, svc)
	w.mu.Lock()
	cur := w.last
	w.mu.Unlock()
	return cur, cancel, nil
}

func (c *NamingClient) subscribeRequest(ctx context.Context, w *watch) (model.Service, error) {
	resp, err := c.request(ctx, rpc_request.NewSubscribeServiceRequest(c.cfg.Client.NamespaceId, w.service, w.group, "", true), true)
	if err != nil {
		return model.Service{}, err
	}
	r, ok := resp.(*rpc_response.SubscribeServiceResponse)
	if !ok {
		return model.Service{}, fmt.Errorf("%w: %s answered with %s", ErrRefused, "subscribe", resp.GetResponseType())
	}
	return r.ServiceInfo, nil
}

func (c *NamingClient) unsubscribe(k string, id int) {
	c.mu.Lock()
	w := c.watches[k]
	if w == nil {
		c.mu.Unlock()
		return
	}
	delete(w.fns, id)
	last := len(w.fns) == 0
	if last {
		delete(c.watches, k)
	}
	closed := c.closed
	c.mu.Unlock()
	if last && !closed && c.rpc.IsRunning() { // a new connection does not subscribe it again
		ctx, cancel := context.WithTimeout(context.Background(), c.cfg.Timeout)
		defer cancel()
		if _, err := c.request(ctx, rpc_request.NewSubscribeServiceRequest(c.cfg.Client.NamespaceId, w.service, w.group, "", false), true); err != nil {
			c.log.Debug("unsubscribe request failed", "service", k, "err", err)
		}
	}
}

// Query reads service of group from the server, without subscribing.
func (c *NamingClient) Query(ctx context.Context, service, group string) (model.Service, error) {
	resp, err := c.request(ctx, rpc_request.NewServiceQueryRequest(c.cfg.Client.NamespaceId, service, group, "", false, 0), false)
	if err != nil {
		return model.Service{}, fmt.Errorf("nacos: query %s: %w", key(service, group), err)
	}
	r, ok := resp.(*rpc_response.QueryServiceResponse)
	if !ok {
		return model.Service{}, fmt.Errorf("nacos: query %s: %w: answered with %s", key(service, group), ErrRefused, resp.GetResponseType())
	}
	return r.ServiceInfo, nil
}

// ListServices lists the names of the services of group, every page.
func (c *NamingClient) ListServices(ctx context.Context, group string) ([]string, error) {
	const pageSize = 500
	var names []string
	seen := map[string]bool{}
	for page := 1; ; page++ {
		resp, err := c.request(ctx, rpc_request.NewServiceListRequest(c.cfg.Client.NamespaceId, "", group, page, pageSize, ""), false)
		if err != nil {
			return nil, fmt.Errorf("nacos: list services of %s: %w", group, err)
		}
		r, ok := resp.(*rpc_response.ServiceListResponse)
		if !ok {
			return nil, fmt.Errorf("nacos: list services of %s: %w: answered with %s", group, ErrRefused, resp.GetResponseType())
		}
		for _, n := range r.ServiceNames {
			if !seen[n] {
				seen[n] = true
				names = append(names, n)
			}
		}
		if len(r.ServiceNames) < pageSize || len(names) >= r.Count || page >= 1000 {
			break
		}
	}
	sort.Strings(names)
	return names, nil
}

// process delivers svc to w's subscribers unless it is older than the last
// state delivered, or the same.
func (c *NamingClient) process(w *watch, svc model.Service) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.have {
		if svc.LastRefTime < w.last.LastRefTime {
			c.log.Debug("dropping an out-of-date service state", "service", key(w.service, w.group),
				"refTime", svc.LastRefTime, "last", w.last.LastRefTime)
			return
		}
		if sameHosts(w.last.Hosts, svc.Hosts) {
			w.last.LastRefTime = svc.LastRefTime
			return
		}
	}
	w.last, w.have = svc, true
	w.version++
	c.mu.Lock()
	fns := make([]func(model.Service), 0, len(w.fns))
	ids := make([]int, 0, len(w.fns))
	for id := range w.fns {
		ids = append(ids, id)
	}
	sort.Ints(ids)
	for _, id := range ids {
		fns = append(fns, w.fns[id])
	}
	c.mu.Unlock()
	for _, fn := range fns {
		fn(svc)
	}
}

func (c *NamingClient) watchOf(service, group string) *watch {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.watches[key(service, group)]
}

func (c *NamingClient) allWatches() []*watch {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]*watch, 0, len(c.watches))
	for _, w := range c.watches {
		out = append(out, w)
	}
	return out
}

// poll re-reads every subscribed service every Config.Poll while
// connected.
func (c *NamingClient) poll() {
	defer close(c.done)
	t := time.NewTicker(c.cfg.Poll)
	defer t.Stop()
	for {
		select {
		case <-c.quit:
			return
		case <-t.C:
		}
		if !c.Connected() {
			continue
		}
		for _, w := range c.allWatches() {
			ctx, cancel := context.WithTimeout(context.Background(), c.cfg.Timeout)
			svc, err := c.Query(ctx, w.service, w.group)
			cancel()
			select {
			case <-c.quit:
				return
			default:
			}
			if err != nil {
				c.log.Debug("re-reading a subscribed service failed", "service", key(w.service, w.group), "err", err)
				continue
			}
			c.process(w, svc)
		}
	}
}

// redo sends again what was registered and subscribed, after a connection
// came up.
func (c *NamingClient) redo() {
	c.regMu.Lock()
	c.mu.Lock()
	regs := make([]registration, 0, len(c.registered))
	for _, r := range c.registered {
		regs = append(regs, registration{service: r.service, group: r.group, instances: r.instances})
	}
	c.mu.Unlock()
	for _, r := range regs {
		ctx, cancel := context.WithTimeout(context.Background(), c.cfg.Timeout)
		if err := c.send(ctx, r.service, r.group, r.instances, nil); err != nil {
			c.log.Warn("registering again after reconnecting failed", "service", key(r.service, r.group), "err", err)
		}
		cancel()
	}
	c.regMu.Unlock()
	for _, w := range c.allWatches() {
		ctx, cancel := context.WithTimeout(context.Background(), c.cfg.Timeout)
		svc, err := c.subscribeRequest(ctx, w)
		cancel()
		if err != nil {
			c.log.Warn("subscribing again after reconnecting failed", "service", key(w.service, w.group), "err", err)
			continue
		}
		c.process(w, svc)
	}
}

// Close stops the client: the connection is closed (the server drops the
// client's ephemeral instances) and every goroutine of the client and of
// the SDK's transport ends. Idempotent.
func (c *NamingClient) Close() error {
	c.closeOnce.Do(func() {
		c.mu.Lock()
		c.closed = true
		c.mu.Unlock()
		close(c.quit)
		<-c.done
		wasUp := c.rpc.IsRunning()
		c.rpc.Shutdown()
		if wasUp { // the SDK delivers the disconnection on a goroutine that ends with ctx
			select {
			case <-c.down:
			case <-time.After(2 * time.Second):
			}
		}
		// Each connection event is sent by a goroutine of its own to the
		// SDK's event loop, which ends with ctx: a sender left behind would
		// block for ever. Events still queued (a server that flapped) are
		// taken before ctx ends: wait until none came for a while.
		// Shutdown itself may have queued one.
		c.lastEvent.Store(max(c.lastEvent.Load(), time.Now().UnixNano()))
		deadline := time.Now().Add(3 * time.Second)
		for time.Now().Before(deadline) && time.Since(time.Unix(0, c.lastEvent.Load())) < eventQuiet {
			time.Sleep(eventQuiet / 4)
		}
		c.cancel()
	})
	return nil
}

// connListener receives the transport's connection events.
type connListener struct{ c *NamingClient }

func (l connListener) OnConnected() {
	l.c.lastEvent.Store(time.Now().UnixNano())
	l.c.mu.Lock()
	l.c.connected = true
	closed := l.c.closed
	l.c.mu.Unlock()
	if closed {
		return
	}
	l.c.log.Info("connected to the nacos server")
	l.c.redo()
	if fn := l.c.opts.onConnection; fn != nil {
		fn(true)
	}
}

func (l connListener) OnDisConnect() {
	l.c.lastEvent.Store(time.Now().UnixNano())
	l.c.mu.Lock()
	l.c.connected = false
	closed := l.c.closed
	l.c.mu.Unlock()
	select {
	case l.c.down <- struct{}{}:
	default:
	}
	if closed {
		return
	}
	l.c.log.Warn("disconnected from the nacos server")
	if fn := l.c.opts.onConnection; fn != nil {
		fn(false)
	}
}

// pushHandler receives the server's pushes of subscribed services.
type pushHandler struct{ c *NamingClient }

func (pushHandler) Name() string { return "fleet.NamingPushHandler" }

func (h pushHandler) RequestReply(req rpc_request.IRequest, _ *rpc.RpcClient) rpc_response.IResponse {
	n, ok := req.(*rpc_request.NotifySubscriberRequest)
	if !ok {
		return nil
	}
	svc := n.ServiceInfo
	name, group := svc.Name, svc.GroupName
	if g, s, found := cutGroup(name); found {
		group, name = g, s
	}
	if group == "" {
		group = DefaultGroup
	}
	if w := h.c.watchOf(name, group); w != nil {
		h.c.process(w, svc)
	}
	return &rpc_response.NotifySubscriberResponse{Response: &rpc_response.Response{ResultCode: constant.RESPONSE_CODE_SUCCESS, Success: true}}
}

// cutGroup splits "group@@service".
func cutGroup(name string) (group, service string, ok bool) {
	for i := 0; i+len(constant.SERVICE_INFO_SPLITER) <= len(name); i++ {
		if name[i:i+len(constant.SERVICE_INFO_SPLITER)] == constant.SERVICE_INFO_SPLITER {
			return name[:i], name[i+len(constant.SERVICE_INFO_SPLITER):], true
		}
	}
	return "", "", false
}

func sortInstances(list []model.Instance) {
	sort.Slice(list, func(i, j int) bool {
		if list[i].Ip != list[j].Ip {
			return list[i].Ip < list[j].Ip
		}
		return list[i].Port < list[j].Port
	})
}

// sameHosts reports whether a and b hold the same instances in any order.
func sameHosts(a, b []model.Instance) bool {
	if len(a) != len(b) {
		return false
	}
	x := append([]model.Instance(nil), a...)
	y := append([]model.Instance(nil), b...)
	sortInstances(x)
	sortInstances(y)
	return reflect.DeepEqual(x, y)
}
