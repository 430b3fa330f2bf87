package registry

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fleetrpc/fleet/common"
)

// Parameters of the registry URL read by NewFailback.
const (
	// RetryPeriodKey is the period of failback retries: milliseconds or a
	// Go duration.
	RetryPeriodKey = "retry.period"
	// DefaultRetryPeriod is the retry period when the URL sets none.
	DefaultRetryPeriod = 5 * time.Second
)

// ErrClosed is returned by the methods of a closed FailbackRegistry.
var ErrClosed = errors.New("registry: closed")

// Option configures NewFailback.
type Option func(*failbackOptions)

type failbackOptions struct {
	logger      *slog.Logger
	period      time.Duration
	snapshot    *Snapshot
	snapshotSet bool
}

// WithLogger sets the logger; nil means slog.Default().
func WithLogger(l *slog.Logger) Option { return func(o *failbackOptions) { o.logger = l } }

// WithRetryPeriod sets the retry period, overriding the URL's
// retry.period; d <= 0 keeps the URL's.
func WithRetryPeriod(d time.Duration) Option { return func(o *failbackOptions) { o.period = d } }

// WithSnapshot sets the disk snapshot instead of the one the URL names
// (DefaultSnapshotPath); nil keeps none. The FailbackRegistry closes it.
func WithSnapshot(s *Snapshot) Option {
	return func(o *failbackOptions) { o.snapshot, o.snapshotSet = s, true }
}

// FailbackRegistry gives any Registry Java Dubbo's failback behaviour:
//
//   - Register, Unregister, Subscribe and Unsubscribe that fail are logged
//     with the URL and retried every retry period until they succeed or the
//     opposite call cancels them; they return nil. With check=true on both
//     the registry URL and the URL (the default), a failing Register of a
//     URL that is not consumer://, a failing Unregister, and a failing
//     Subscribe with nothing in the snapshot return the error instead, and
//     are not retried.
//   - Every list notified to a subscription of one interface is recorded in
//     the disk snapshot under the subscription's service key. A Subscribe
//     that fails while the snapshot holds lists for that service key
//     delivers them (one notification per category) and is retried.
//
// It implements Registry; its methods are safe for concurrent use. It owns
// one goroutine, stopped by Close.
type FailbackRegistry struct {
	inner    Registry      // immutable
	url      *common.URL   // inner.URL(); immutable
	log      *slog.Logger  // immutable
	period   time.Duration // immutable
	snapshot *Snapshot     // immutable; nil without
	ctx      context.Context
	cancel   context.CancelFunc
	done     chan struct{}

	mu                 sync.Mutex // guards the fields below
	subs               []*failbackListener
	failedRegister     map[string]*common.URL
	failedUnregister   map[string]*common.URL
	failedSubscribe    map[*failbackListener]struct{}
	failedUnsubscribe  map[*failbackListener]struct{}
	closed             bool
	closeOnce          sync.Once
	retryNow, retryRan chan struct{} // for tests: run one retry round now
}

// NewFailback wraps inner. The retry period is the registry URL's
// retry.period (default 5 s); the snapshot is kept at
// DefaultSnapshotPath(inner.URL()) unless an option says otherwise.
func NewFailback(inner Registry, opts ...Option) *FailbackRegistry {
	var o failbackOptions
	for _, opt := range opts {
		opt(&o)
	}
	if o.logger == nil {
		o.logger = slog.Default()
	}
	u := inner.URL()
	log := o.logger.With("component", "registry/failback", "registry", u.Address())
	if o.period <= 0 {
		d, err := u.ParamDuration(RetryPeriodKey, DefaultRetryPeriod)
		if err != nil || d <= 0 {
			log.Warn("bad retry period; using the default", "value", u.ParamOr(RetryPeriodKey, ""), "default", DefaultRetryPeriod)
			d = DefaultRetryPeriod
		}
		o.period = d
	}
	if !o.snapshotSet {
		if p, ok := DefaultSnapshotPath(u); ok {
			o.snapshot = OpenSnapshot(p, o.logger)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	f := &FailbackRegistry{
		inner:             inner,
		url:               u,
		log:               log,
		period:            o.period,
		snapshot:          o.snapshot,
		ctx:               ctx,
		cancel:            cancel,
		done:              make(chan struct{}),
		failedRegister:    map[string]*common.URL{},
		failedUnregister:  map[string]*common.URL{},
		failedSubscribe:   map[*failbackListener]struct{}{},
		failedUnsubscribe: map[*failbackListener]struct{}{},
		retryNow:          make(chan struct{}),
		retryRan:          make(chan struct{}),
	}
	go f.run()
	return f
}

// Inner returns the wrapped registry.
func (f *FailbackRegistry) Inner() Registry { return f.inner }

// Snapshot returns the disk snapshot, nil without one.
func (f *FailbackRegistry) Snapshot() *Snapshot { return f.snapshot }

// URL implements Registry.
func (f *FailbackRegistry) URL() *common.URL { return f.url }

func (f *FailbackRegistry) isClosed() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.closed
}

// checked reports whether a failure of an operation on u is returned
// rather than retried.
func (f *FailbackRegistry) checked(u *common.URL) bool {
	return f.url.ParamBool(common.CheckKey, true) && u.ParamBool(common.CheckKey, true)
}

// Register implements Registry.
func (f *FailbackRegistry) Register(ctx context.Context, u *common.URL) error {
	if f.isClosed() {
		return fmt.Errorf("register %s: %w", u, ErrClosed)
	}
	k := u.FullString()
	f.mu.Lock()
	delete(f.failedRegister, k)
	delete(f.failedUnregister, k)
	f.mu.Unlock()
	err := f.inner.Register(ctx, u)
	if err == nil {
		return nil
	}
	if f.checked(u) && u.Protocol() != common.ConsumerProtocol {
		return err
	}
	f.log.Error("register failed; retrying", "url", u.String(), "err", err, "period", f.period)
	f.mu.Lock()
	f.failedRegister[k] = u
	f.mu.Unlock()
	return nil
}

// Unregister implements Registry.
func (f *FailbackRegistry) Unregister(ctx context.Context, u *common.URL) error {
	if f.isClosed() {
		return fmt.Errorf("unregister %s: %w", u, ErrClosed)
	}
	k := u.FullString()
	f.mu.Lock()
	delete(f.failedRegister, k)
	delete(f.failedUnregister, k)
	f.mu.Unlock()
	err := f.inner.Unregister(ctx, u)
	if err == nil {
		return nil
	}
	if f.checked(u) && u.Protocol() != common.ConsumerProtocol {
		return err
	}
	f.log.Error("unregister failed; retrying", "url", u.String(), "err", err, "period", f.period)
	f.mu.Lock()
	f.failedUnregister[k] = u
	f.mu.Unlock()
	return nil
}

// Subscribe implements Registry.
func (f *FailbackRegistry) Subscribe(ctx context.Context, u *common.URL, listener NotifyListener) error {
	if listener == nil {
		return fmt.Errorf("subscribe %s: nil listener", u)
	}
	f.mu.Lock()
	if f.closed {
		f.mu.Unlock()
		return fmt.Errorf("subscribe %s: %w", u, ErrClosed)
	}
	l := f.findLocked(u, listener)
	if l == nil {
		l = &failbackListener{f: f, url: u, listener: listener, any: u.ServiceInterface() == common.AnyValue,
			key: u.ServiceKey(), lists: map[string][]*common.URL{}}
		f.subs = append(f.subs, l)
	}
	delete(f.failedSubscribe, l)
	delete(f.failedUnsubscribe, l)
	f.mu.Unlock()

	err := f.inner.Subscribe(ctx, u, l)
	if err == nil {
		return nil
	}
	var cached []*common.URL
	if f.snapshot != nil && !l.any {
		cached = f.snapshot.Get(l.key)
	}
	if len(cached) > 0 {
		f.log.Error("subscribe failed; using the snapshot's lists and retrying", "url", u.String(), "err", err,
			"snapshot", f.snapshot.Path(), "urls", len(cached))
		l.deliverCached(cached)
	} else {
		if f.checked(u) {
			f.mu.Lock()
			f.removeLocked(l)
			f.mu.Unlock()
			return err
		}
		f.log.Error("subscribe failed; retrying", "url", u.String(), "err", err, "period", f.period)
	}
	f.mu.Lock()
	if !l.stopped.Load() {
		f.failedSubscribe[l] = struct{}{}
	}
	f.mu.Unlock()
	return nil
}

// Unsubscribe implements Registry.
func (f *FailbackRegistry) Unsubscribe(ctx context.Context, u *common.URL, listener NotifyListener) error {
	f.mu.Lock()
	var removed []*failbackListener
	kept := f.subs[:0]
	for _, l := range f.subs {
		if l.url.Equal(u) && SameListener(l.listener, listener) {
			removed = append(removed, l)
			l.stopped.Store(true)
			delete(f.failedSubscribe, l)
		} else {
			kept = append(kept, l)
		}
	}
	clear(f.subs[len(kept):])
	f.subs = kept
	f.mu.Unlock()

	var errs []error
	for _, l := range removed {
		err := f.inner.Unsubscribe(ctx, u, l)
		if err == nil {
			continue
		}
		if f.checked(u) {
			errs = append(errs, err)
			continue
		}
		f.log.Error("unsubscribe failed; retrying", "url", u.String(), "err", err, "period", f.period)
		f.mu.Lock()
		f.failedUnsubscribe[l] = struct{}{}
		f.mu.Unlock()
	}
	return errors.Join(errs...)
}

// Lookup implements Registry.
func (f *FailbackRegistry) Lookup(ctx context.Context, u *common.URL) ([]*common.URL, error) {
	return f.inner.Lookup(ctx, u)
}

// Close implements Registry: it stops the retries, closes the wrapped
// registry and the snapshot (writing what is pending). Idempotent.
func (f *FailbackRegistry) Close() error {
	var err error
	f.closeOnce.Do(func() {
		f.mu.Lock()
		f.closed = true
		for _, l := range f.subs {
			l.stopped.Store(true)
		}
		f.mu.Unlock()
		f.cancel()
		<-f.done
		err = f.inner.Close()
		if f.snapshot != nil {
			if serr := f.snapshot.Close(); serr != nil {
				f.log.Error("registry snapshot not written on close", "err", serr)
			}
		}
	})
	return err
}

func (f *FailbackRegistry) findLocked(u *common.URL, listener NotifyListener) *failbackListener {
	for _, l := range f.subs {
		if l.url.Equal(u) && SameListener(l.listener, listener) {
			return l
		}
	}
	return nil
}

func (f *FailbackRegistry) removeLocked(target *failbackListener) {
	for i, l := range f.subs {
		if l == target {
			f.subs = append(f.subs[:i], f.subs[i+1:]...)
			return
		}
	}
}

// run retries what failed every period until Close.
func (f *FailbackRegistry) run() {
	defer close(f.done)
	t := time.NewTicker(f.period)
	defer t.Stop()
	for {
		select {
		case <-f.ctx.Done():
			return
		case <-t.C:
			f.retry()
		case <-f.retryNow:
			f.retry()
			select {
			case f.retryRan <- struct{}{}:
			case <-f.ctx.Done():
				return
			}
		}
	}
}

// Pending reports how many operations wait for a retry.
func (f *FailbackRegistry) Pending() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.failedRegister) + len(f.failedUnregister) + len(f.failedSubscribe) + len(f.failedUnsubscribe)
}

// retry runs one round of retries, each bounded by the period.
func (f *FailbackRegistry) retry() {
	f.mu.Lock()
	reg := sortedURLs(f.failedRegister)
	unreg := sortedURLs(f.failedUnregister)
	sub := keys(f.failedSubscribe)
	unsub := keys(f.failedUnsubscribe)
	f.mu.Unlock()

	attempt := func(what string, u *common.URL, op func(ctx context.Context) error, done func()) {
		if f.ctx.Err() != nil {
			return
		}
		ctx, cancel := context.WithTimeout(f.ctx, f.period)
		err := op(ctx)
		cancel()
		if err != nil {
			f.log.Warn(what+" retry failed; retrying", "url", u.String(), "err", err, "period", f.period)
			return
		}
		f.log.Info(what+" retry succeeded", "url", u.String())
		f.mu.Lock()
		done()
		f.mu.Unlock()
	}
	for _, u := range reg {
		k := u.FullString()
		attempt("register", u, func(ctx context.Context) error { return f.inner.Register(ctx, u) },
			func() { delete(f.failedRegister, k) })
	}
	for _, u := range unreg {
		k := u.FullString()
		attempt("unregister", u, func(ctx context.Context) error { return f.inner.Unregister(ctx, u) },
			func() { delete(f.failedUnregister, k) })
	}
	for _, l := range sub {
		attempt("subscribe", l.url, func(ctx context.Context) error {
			if l.stopped.Load() {
				return nil
			}
			if err := f.inner.Subscribe(ctx, l.url, l); err != nil {
				return err
			}
			if l.stopped.Load() { // unsubscribed meanwhile
				return f.inner.Unsubscribe(ctx, l.url, l)
			}
			return nil
		}, func() { delete(f.failedSubscribe, l) })
	}
	for _, l := range unsub {
		attempt("unsubscribe", l.url, func(ctx context.Context) error { return f.inner.Unsubscribe(ctx, l.url, l) },
			func() { delete(f.failedUnsubscribe, l) })
	}
}

func sortedURLs(m map[string]*common.URL) []*common.URL {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	out := make([]*common.URL, len(ks))
	for i, k := range ks {
		out[i] = m[k]
	}
	return out
}

func keys(m map[*failbackListener]struct{}) []*failbackListener {
	out := make([]*failbackListener, 0, len(m))
	for l := range m {
		out = append(out, l)
	}
	return out
}

// failbackListener stands between the wrapped registry and a subscriber:
// it records each list in the snapshot and passes it on.
type failbackListener struct {
	f        *FailbackRegistry
	url      *common.URL // immutable
	listener NotifyListener
	any      bool   // interface *: not recorded; immutable
	key      string // snapshot key: url.ServiceKey(); immutable
	stopped  atomic.Bool

	mu    sync.Mutex               // guards lists
	lists map[string][]*common.URL // category → last list
}

// Notify implements NotifyListener.
func (l *failbackListener) Notify(urls []*common.URL) {
	if l.stopped.Load() || len(urls) == 0 {
		return
	}
	l.listener.Notify(urls)
	if l.any || l.f.snapshot == nil {
		return
	}
	l.mu.Lock()
	l.lists[urls[0].Category()] = urls
	cats := make([]string, 0, len(l.lists))
	for c := range l.lists {
		cats = append(cats, c)
	}
	sort.Strings(cats)
	var all []*common.URL
	for _, c := range cats {
		all = append(all, l.lists[c]...)
	}
	l.mu.Unlock()
	l.f.snapshot.Put(l.key, all)
}

// deliverCached notifies the snapshot's URLs, one list per category, in
// the order of the categories' first appearance. Categories the registry
// already notified (a subscribe that failed half-way) are left as they
// are: their lists are newer than the snapshot's.
func (l *failbackListener) deliverCached(urls []*common.URL) {
	l.mu.Lock()
	live := make(map[string]bool, len(l.lists))
	for c := range l.lists {
		live[c] = true
	}
	l.mu.Unlock()
	var order []string
	byCat := map[string][]*common.URL{}
	for _, u := range urls {
		if live[u.Category()] {
			continue
		}
		if !common.IsMatch(l.url, u) && u.Protocol() != common.EmptyProtocol {
			continue
		}
		c := u.Category()
		if _, ok := byCat[c]; !ok {
			order = append(order, c)
		}
		byCat[c] = append(byCat[c], u)
	}
	for _, c := range order {
		if l.stopped.Load() {
			return
		}
		l.listener.Notify(byCat[c])
	}
}
