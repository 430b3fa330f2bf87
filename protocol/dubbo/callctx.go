package dubbo

import (
	"context"
	"sync"
	"time"
)

// callCtx is the context a provider call runs under when the consumer sent
// its timeout: the server's context, with that deadline. Its Done channel,
// and the timer and parent hook that close it, are made only when someone
// asks for Done: most methods never look at their context, and then a
// call costs no timer, no channel and no registration with the server's
// context (which every worker would contend on).
//
// It follows the context.Context contract: Err is nil until the deadline
// passes, the server's context ends or the call ends, and the same error
// after; Done, once asked for, is closed exactly when Err turns non-nil.
type callCtx struct {
	parent   context.Context // immutable: the server's
	values   context.Context // immutable: parent without its cancellation, for Value
	deadline time.Time       // immutable

	mu    sync.Mutex // guards the fields below
	err   error
	done  chan struct{}
	timer *time.Timer
	stop  func() bool // removes the hook on parent
}

// init sets the context up under parent, whose values without its
// cancellation are values (context.WithoutCancel(parent), made once by the
// server), so that context.Cause reads this context's error and not the
// parent's cause.
func (c *callCtx) init(parent, values context.Context, deadline time.Time) {
	c.parent, c.values, c.deadline = parent, values, deadline
}

// Deadline implements context.Context.
func (c *callCtx) Deadline() (time.Time, bool) { return c.deadline, true }

// Value implements context.Context.
func (c *callCtx) Value(key any) any { return c.values.Value(key) }

// Done implements context.Context.
func (c *callCtx) Done() <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.done != nil {
		return c.done
	}
	c.done = make(chan struct{})
	if c.err != nil {
		close(c.done) // ended before anyone asked
		return c.done
	}
	if c.checkLocked() != nil {
		return c.done // closed by endLocked
	}
	c.timer = time.AfterFunc(time.Until(c.deadline), func() { c.end(context.DeadlineExceeded) })
	c.stop = context.AfterFunc(c.parent, func() { c.end(c.parent.Err()) })
	return c.done
}

// Err implements context.Context.
func (c *callCtx) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.checkLocked()
}

// checkLocked ends the context when its deadline passed or its parent
// ended, and returns its error; c.mu is held.
func (c *callCtx) checkLocked() error {
	if c.err == nil {
		if err := c.parent.Err(); err != nil {
			c.endLocked(err)
		} else if !time.Now().Before(c.deadline) {
			c.endLocked(context.DeadlineExceeded)
		}
	}
	return c.err
}

// end ends the context with err unless it already ended; the server calls
// it with context.Canceled when the call returns.
func (c *callCtx) end(err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.endLocked(err)
}

func (c *callCtx) endLocked(err error) {
	if c.err != nil {
		return
	}
	c.err = err
	if c.done != nil {
		close(c.done)
	}
	if c.timer != nil {
		c.timer.Stop()
	}
	if c.stop != nil {
		c.stop()
	}
}
