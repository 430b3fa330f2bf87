package cluster

import (
	"container/heap"
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/fleetrpc/fleet/cluster/loadbalance"
	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/directory"
	"github.com/fleetrpc/fleet/protocol"
)

// FailbackName is the name of the failback strategy.
const FailbackName = "failback"

// Failback parameters and defaults.
const (
	// FailbackTasksKey bounds the retries waiting in the background.
	FailbackTasksKey = "failbacktasks"
	// DefaultFailbackTasks is the default of FailbackTasksKey.
	DefaultFailbackTasks = 100
	// DefaultFailbackRetries is failback's default of the retries param.
	DefaultFailbackRetries = 3
	// DefaultFailbackPeriod is the wait before each background retry.
	DefaultFailbackPeriod = 5 * time.Second
)

func init() { Register(FailbackName, &Failback{}) }

// Failback calls one provider once; on an RPC failure (no provider
// included) it logs "Failback to invoke method <m>, wait for retry in
// background. Ignored exception: …", returns an empty successful result
// and retries the call in the background (cluster.md §3), for
// notifications that must eventually arrive. A business error is returned
// as is and not retried.
//
// A retry runs RetryPeriod (default 5 s) after the failure, on the current
// directory snapshot (the original candidates may have been destroyed),
// avoiding the provider that failed last; a failed retry is queued again
// until retries (consumer URL param, default 3; <= 0 → 3, as Java
// reads it) retries failed. At most failbacktasks (default 100) retries
// wait at once; beyond that a failure is logged ("Failback background works
// error") and dropped.
//
// The retries run one at a time on one goroutine, started at the first
// failure and owned by the cluster invoker: Destroy cancels the retry in
// flight, drops the queue and waits for the goroutine to end.
type Failback struct {
	// LoadBalance picks each provider; nil means the loadbalance param.
	LoadBalance loadbalance.LoadBalance
	// Stats receives every attempt; nil means loadbalance.DefaultStats().
	Stats *loadbalance.Stats
	// Logger logs failures and retries; nil means slog.Default().
	Logger *slog.Logger
	// RetryPeriod is the wait before each retry; 0 means
	// DefaultFailbackPeriod.
	RetryPeriod time.Duration
}

// Join implements Cluster.
func (f *Failback) Join(dir directory.Directory) protocol.Invoker {
	b := newBase(dir, f.LoadBalance, f.Stats, f.Logger, FailbackName)
	u := dir.URL()
	// Java reads both as positive values: <= 0 is the default.
	retries, err1 := u.ParamPositiveInt(common.RetriesKey, DefaultFailbackRetries)
	tasks, err2 := u.ParamPositiveInt(FailbackTasksKey, DefaultFailbackTasks)
	if err := errors.Join(err1, err2); err != nil {
		b.logger.Warn("bad URL parameters replaced by their defaults", "error", err)
	}
	period := f.RetryPeriod
	if period <= 0 {
		period = DefaultFailbackPeriod
	}
	ctx, cancel := context.WithCancel(context.Background())
	fb := &failbackInvoker{base: b, retries: retries, maxTasks: tasks, period: period,
		ctx: ctx, cancel: cancel, wake: make(chan struct{}, 1), done: make(chan struct{})}
	b.stop = fb.stopRetries
	return fb
}

type failbackInvoker struct {
	*base
	retries  int           // immutable
	maxTasks int           // immutable
	period   time.Duration // immutable

	ctx    context.Context // the retries', cancelled by Destroy
	cancel context.CancelFunc
	wake   chan struct{} // a task was queued
	done   chan struct{} // closed when the retry goroutine ends

	mu      sync.Mutex // guards the fields below
	queue   taskHeap
	started bool
	stopped bool
}

// retryTask is one failed call waiting for its next retry.
type retryTask struct {
	inv     protocol.Invocation
	last    protocol.Invoker // the provider that failed last, may be nil
	retried int              // retries done
	due     time.Time
}

var errFailbackFull = errors.New("cluster: failback retry queue is full")

func (f *failbackInvoker) Invoke(ctx context.Context, inv protocol.Invocation) protocol.Result {
	return f.invoke(ctx, inv, f.doInvoke)
}

func (f *failbackInvoker) doInvoke(ctx context.Context, inv protocol.Invocation, candidates []protocol.Invoker, lb loadbalance.LoadBalance) protocol.Result {
	var target protocol.Invoker
	err := f.checkInvokers(candidates, inv)
	if err == nil {
		target = f.selectInvoker(lb, inv, candidates, nil)
		res := f.call(ctx, target, inv)
		if err = res.Error(); err == nil || protocol.IsBusiness(err) {
			return res
		}
	}
	method := protocol.RealMethodName(inv)
	f.logger.ErrorContext(ctx, "Failback to invoke method "+method+", wait for retry in background. Ignored exception: "+err.Error(), "error", err)
	if f.retries > 0 {
		if err := f.enqueue(&retryTask{inv: inv, last: target, due: time.Now().Add(f.period)}, true); err != nil {
			f.logger.ErrorContext(ctx, "Failback background works error", "method", method, "error", err)
		}
	}
	return emptyResult()
}

// enqueue queues t, starting the retry goroutine if needed. A new failure
// (bounded) is refused when maxTasks wait already.
func (f *failbackInvoker) enqueue(t *retryTask, bounded bool) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.stopped {
		return errors.New("cluster: failback invoker is destroyed")
	}
	if bounded && len(f.queue) >= f.maxTasks {
		return errFailbackFull
	}
	heap.Push(&f.queue, t)
	if !f.started {
		f.started = true
		go f.run()
	}
	select {
	case f.wake <- struct{}{}:
	default:
	}
	return nil
}

// run retries the due tasks until Destroy.
func (f *failbackInvoker) run() {
	defer close(f.done)
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		f.mu.Lock()
		var next *retryTask
		wait := time.Hour
		if len(f.queue) > 0 {
			if d := time.Until(f.queue[0].due); d <= 0 {
				next = heap.Pop(&f.queue).(*retryTask)
			} else {
				wait = d
			}
		}
		f.mu.Unlock()
		if next != nil {
			f.retry(next)
			continue
		}
		timer.Reset(wait)
		select {
		case <-f.ctx.Done():
			return
		case <-f.wake:
		case <-timer.C:
		}
	}
}

func (f *failbackInvoker) retry(t *retryTask) {
	if f.ctx.Err() != nil {
		return
	}
	var err error
	candidates, err := f.dir.List(f.ctx, t.inv)
	if err == nil {
		err = f.checkInvokers(candidates, t.inv)
	}
	if err == nil {
		var avoid []protocol.Invoker
		if t.last != nil {
			avoid = []protocol.Invoker{t.last}
		}
		target := f.selectInvoker(f.balancer(candidates, t.inv), t.inv, candidates, avoid)
		t.last = target
		res := f.call(f.ctx, target, t.inv)
		if err = res.Error(); err == nil || protocol.IsBusiness(err) {
			return
		}
	}
	if f.ctx.Err() != nil {
		return
	}
	if t.retried++; t.retried >= f.retries {
		f.logger.Error("Failed retry times exceed threshold, We have to abandon", "retries", f.retries,
			"method", protocol.RealMethodName(t.inv), "error", err)
		return
	}
	t.due = time.Now().Add(f.period)
	_ = f.enqueue(t, false)
}

// stopRetries cancels the retries and waits for their goroutine.
func (f *failbackInvoker) stopRetries() {
	f.mu.Lock()
	f.stopped = true
	started := f.started
	f.queue = nil
	f.mu.Unlock()
	f.cancel()
	if started {
		<-f.done
	}
}

// pending is the number of retries waiting.
func (f *failbackInvoker) pending() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.queue)
}

// taskHeap orders retry tasks by due time.
type taskHeap []*retryTask

func (h taskHeap) Len() int           { return len(h) }
func (h taskHeap) Less(i, j int) bool { return h[i].due.Before(h[j].due) }
func (h taskHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *taskHeap) Push(x any)        { *h = append(*h, x.(*retryTask)) }
func (h *taskHeap) Pop() any {
	old := *h
	t := old[len(old)-1]
	*h = old[:len(old)-1]
	return t
}
