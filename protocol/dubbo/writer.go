package dubbo

import (
	"net"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// clock is a monotonic time in nanoseconds since the package started, for
// the last-read and last-write stamps of connections.
var clockBase = time.Now()

func nanotime() int64 { return int64(time.Since(clockBase)) }

// maxSpare is the largest batch buffer a transport keeps for reuse.
const maxSpare = 256 << 10

// transport is one TCP connection's write side, with the stamps the
// heartbeat logic reads.
//
// Writes are coalesced without a goroutine of their own: a writer that
// finds no flush in progress becomes the flusher and writes at once;
// frames queued meanwhile by other writers are gathered, copied one after
// another into one buffer, and written by the flusher in one write(2) per
// batch (the others return as soon as their frame is queued, so a frame is
// never interleaved with another). When other calls are in flight on the
// connection (inflight > 1) the flusher first yields its processor once, so
// that callers already runnable (woken together by the reader) queue their
// frames into the same batch; a lone call (c=1) is written at once.
//
// A write error is sticky: the connection is closed, which makes its reader
// fail every pending call at once, including those whose frames were
// queued behind the failed write (they are dropped). After close nothing
// more is written.
type transport struct {
	nc net.Conn // immutable

	lastRead  atomic.Int64 // nanotime of the last frame read
	lastWrite atomic.Int64 // nanotime of the last batch written
	// inflight counts the calls in progress on the connection (a
	// consumer's calls sent and not answered, a provider's requests read
	// and not answered): a hint that more frames are coming.
	inflight atomic.Int32

	mu       sync.Mutex // guards the fields below
	queued   []byte     // frames waiting for the flusher
	spare    []byte     // the previous batch's buffer, for reuse
	flushing bool
	err      error // first write error, or errConnClosed after close
}

func newTransport(nc net.Conn) *transport {
	t := &transport{nc: nc}
	now := nanotime()
	t.lastRead.Store(now)
	t.lastWrite.Store(now)
	return t
}

// write queues frame (copied) and flushes unless another writer is
// flushing. A nil error means the frame was written, or queued behind a
// flush in progress (if that fails, the connection closes and its reader
// fails the call); else the error of the write that held it, or of the
// connection if it had failed or closed before.
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
	if t.inflight.Load() > 1 {
		t.mu.Unlock()
		runtime.Gosched() // let runnable writers join this batch
		t.mu.Lock()
	}
	// err is the outcome of the first batch, which holds this writer's
	// frame; failures of later batches fail the connection, and with it
	// the calls whose frames they held.
	var err error
	wrote := false
	for len(t.queued) > 0 && t.err == nil {
		batch := t.queued
		t.queued = t.spare[:0]
		t.spare = nil
		t.mu.Unlock()
		_, werr := t.nc.Write(batch)
		t.lastWrite.Store(nanotime())
		t.mu.Lock()
		if !wrote {
			err, wrote = werr, true
		}
		if werr != nil && t.err == nil {
			t.err = werr
			t.queued = nil
			_ = t.nc.Close() // the reader fails the calls pending
		}
		if cap(batch) <= maxSpare && t.err == nil {
			t.spare = batch[:0]
		}
	}
	if !wrote {
		err = t.err // closed before the frame went out
	}
	t.flushing = false
	if t.err != nil {
		t.queued, t.spare = nil, nil
	}
	t.mu.Unlock()
	return err
}

// queue queues frame (copied) without flushing: the caller (a provider
// connection's reader, which owns the decision) calls flush before it
// waits for input. It returns the connection's error, if any.
func (t *transport) queue(frame []byte) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.err != nil {
		return t.err
	}
	t.queued = append(t.queued, frame...)
	return nil
}

// flush writes the frames queued, unless a flush is in progress (which
// writes them).
func (t *transport) flush() error { return t.write(nil) }

// close closes the connection: frames queued and not yet written are
// dropped, and every later write fails.
func (t *transport) close() {
	t.mu.Lock()
	if t.err == nil {
		t.err = errConnClosed
	}
	t.queued = nil
	if !t.flushing {
		t.spare = nil
	}
	t.mu.Unlock()
	_ = t.nc.Close()
}

// idle returns how long ago the last read and the last write happened.
func (t *transport) idle(now int64) (sinceRead, sinceWrite time.Duration) {
	return time.Duration(now - t.lastRead.Load()), time.Duration(now - t.lastWrite.Load())
}
