package dubbo

import (
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// clock is a monotonic time in nanoseconds since the package started, for
// the last-read and last-write stamps of connections.
var clockBase = time.Now()

func nanotime() int64 { return int64(time.Since(clockBase)) }

// transport is one TCP connection's write side, with the stamps the
// heartbeat logic reads. Writes are batched: a writer that finds no flush
// in progress writes everything queued so far (its own frame and those
// queued while it wrote) in as few syscalls as there are batches; others
// queue their frame and return. A write error is sticky and reported to
// every later writer; the reader notices the dead connection on its own.
type transport struct {
	nc net.Conn // immutable

	lastRead  atomic.Int64 // nanotime of the last frame read
	lastWrite atomic.Int64 // nanotime of the last batch written

	mu       sync.Mutex // guards the fields below
	queued   []byte     // frames waiting for the flusher
	spare    []byte     // the previous batch's buffer, for reuse
	flushing bool
	err      error // first write error
}

func newTransport(nc net.Conn) *transport {
	t := &transport{nc: nc}
	now := nanotime()
	t.lastRead.Store(now)
	t.lastWrite.Store(now)
	return t
}

// write queues frame (copied) and flushes unless another writer is
// flushing. It returns the connection's write error, if any is known.
func (t *transport) write(frame []byte) error {
	t.mu.Lock()
	if t.err != nil {
		err := t.err
		t.mu.Unlock()
		return err
	}
	t.queued = append(t.queued, frame...)
	if t.flushing {
		t.mu.Unlock()
		return nil
	}
	t.flushing = true
	var err error
	for len(t.queued) > 0 && t.err == nil {
		batch := t.queued
		t.queued = t.spare[:0]
		t.mu.Unlock()
		_, err = t.nc.Write(batch)
		t.lastWrite.Store(nanotime())
		t.mu.Lock()
		if err != nil {
			t.err = err
			t.queued = nil
		}
		if cap(batch) <= 256<<10 {
			t.spare = batch[:0]
		} else {
			t.spare = nil
		}
	}
	t.flushing = false
	err = t.err
	t.mu.Unlock()
	return err
}

// idle returns how long ago the last read and the last write happened.
func (t *transport) idle(now int64) (sinceRead, sinceWrite time.Duration) {
	return time.Duration(now - t.lastRead.Load()), time.Duration(now - t.lastWrite.Load())
}
