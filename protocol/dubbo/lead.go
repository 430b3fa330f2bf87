package dubbo

import (
	"context"
	"errors"
	"io"
	"os"
	"time"
)

// A consumer connection is read by whoever holds its read token: the
// background reader (serve's goroutine), or a caller that found the token
// free once its request was written and reads for its own answer
// ("leader/follower"). A lone caller (one call at a time on the
// connection) thus reads its answer itself: the answer costs no wake-up of
// the background reader and no hand-off from it to the caller, which is
// most of a call's latency at one caller.
//
// The token moves this way:
//   - A caller whose request is written takes it when free (lead), reads
//     until its answer came, its deadline passed or its context ended, and
//     gives it up (release): to the background reader when other calls
//     are pending (their callers wait on their done channels), else it
//     frees it and arms the idle timer.
//   - The background reader takes it when granted, or when the idle timer
//     fires and it is free (so that while no call runs, the provider's
//     events, heartbeat answers and the connection's end are still read),
//     and frees it again (arming the idle timer) once nothing is pending
//     and no whole frame is buffered.
//   - A caller that meets a frame it cannot read under its deadline (a
//     body larger than the read buffer) or a read error grants the token to
//     the background reader, and waits for its answer like any other.
//
// A caller reads under a read deadline (its timeout), waiting for a whole
// frame with bufio's Peek, which a deadline interrupts without losing
// bytes; ReadFrame then takes the frame from the buffer. Its context, when
// it can end, interrupts the read through a deadline in the past (kick),
// which only takes effect while that caller is the leader. The background
// reader clears the deadline when it takes the token, so it never reads
// under one.

// defaultIdleRead is how long the read token may stay free (no call in
// flight on the connection) before the background reader takes it to read
// the provider's events and notice the connection's end. Calls closer
// together than this read their answers themselves.
const defaultIdleRead = 10 * time.Millisecond

// aLongTimeAgo is a read deadline that interrupts a read at once.
var aLongTimeAgo = time.Unix(1, 0)

// read is the background reader: it reads frames while it holds the read
// token and waits for the token while a caller holds it or it is free,
// until the connection fails or is closed. It returns the error that ended
// the connection.
func (cc *clientConn) read() error {
	for {
		if err := cc.readFrames(); err != nil {
			return err
		}
		if err := cc.awaitToken(); err != nil {
			return err
		}
	}
}

// readFrames reads frames, holding the read token, until the connection
// fails (its error) or nothing is pending and no whole frame is buffered
// (nil: the token was freed).
func (cc *clientConn) readFrames() error {
	for {
		h, body, err := cc.fr.ReadFrame()
		if _, err := cc.handleFrame(h, body, err, nil); err != nil {
			return err
		}
		if cc.fr.frameBuffered() {
			continue
		}
		cc.mu.Lock()
		if len(cc.pending) == 0 {
			cc.freeLocked()
			cc.mu.Unlock()
			return nil
		}
		cc.mu.Unlock()
	}
}

// awaitToken waits until the background reader holds the read token:
// granted by a caller, or taken free when the idle timer fires. It returns
// the read error a caller met, or errConnClosed once the connection is
// closed.
func (cc *clientConn) awaitToken() error {
	for {
		select {
		case <-cc.grant:
		case <-cc.idleTimer.C:
			if !cc.idleFired() {
				continue
			}
		case <-cc.quit:
			return errConnClosed
		}
		cc.mu.Lock()
		err := cc.readErr
		cc.mu.Unlock()
		if err != nil {
			return err
		}
		_ = cc.nc.SetReadDeadline(time.Time{}) // a caller's
		cc.rdl = time.Time{}
		return nil
	}
}

// freeLocked frees the read token and makes sure the idle timer will
// fire; cc.mu is held. The timer is not set for every call (each is a
// change to the runtime's timers, which may wake its network poller): it
// is armed when it is not pending, and when it fires (idleFired) it arms
// itself again for what is left of the token's idleRead.
func (cc *clientConn) freeLocked() {
	cc.freedAt.Store(nanotime())
	cc.reading.Store(false)
	if cc.idleArmed.CompareAndSwap(false, true) {
		cc.idleTimer.Reset(cc.idleRead)
	}
}

// idleFired handles the idle timer on the background reader: true when it
// took the read token, free for idleRead.
func (cc *clientConn) idleFired() bool {
	cc.idleArmed.Store(false)
	if cc.reading.Load() {
		return false // a caller reads; its release arms the timer again
	}
	if left := cc.idleRead - time.Duration(nanotime()-cc.freedAt.Load()); left > 0 {
		if cc.idleArmed.CompareAndSwap(false, true) {
			cc.idleTimer.Reset(left)
		}
		return false
	}
	return cc.reading.CompareAndSwap(false, true)
}

// waitOutcome is how waiting for an answer ended.
type waitOutcome uint8

const (
	answered  waitOutcome = iota // cl.resp holds the answer
	timedOut                     // the deadline passed; the call was withdrawn
	cancelled                    // the context ended; the call was withdrawn
)

// await waits for the answer of the pending call cl (id), whose request
// was written: reading it itself when the read token is free, else on
// cl.done, until deadline or ctx ends.
func (cc *clientConn) await(ctx context.Context, id int64, cl *call, deadline time.Time) waitOutcome {
	if cc.reading.CompareAndSwap(false, true) {
		if out, ok := cc.readOwn(ctx, id, cl, deadline); ok {
			return out
		}
	}
	timer := getTimer(time.Until(deadline))
	defer putTimer(timer)
	select {
	case <-cl.done:
	case <-timer.C:
		if cc.remove(id) {
			return timedOut
		}
		<-cl.done
	case <-ctx.Done():
		if cc.remove(id) {
			return cancelled
		}
		<-cl.done
	}
	return answered
}

// readOwn reads the connection, holding the read token, until cl's answer
// came, deadline passed or ctx ended, and gives the token up. ok is false
// when the token went to the background reader before that (a frame too
// big to read under a deadline, a read error): the caller then waits on
// cl.done.
func (cc *clientConn) readOwn(ctx context.Context, id int64, cl *call, deadline time.Time) (out waitOutcome, ok bool) {
	select {
	case <-cl.done: // answered before the token was taken
		cc.release()
		return answered, true
	default:
	}
	if ctx.Done() != nil {
		cc.mu.Lock()
		cc.leader = cl
		cc.mu.Unlock()
		stop := context.AfterFunc(ctx, func() { cc.kick(cl) })
		defer stop()
	}
	cc.leaderDeadline(deadline, false)
	for {
		ready, err := cc.fr.peekFrame()
		if err != nil {
			if !errors.Is(err, os.ErrDeadlineExceeded) {
				if errors.Is(err, io.EOF) {
					err = errConnClosed
				}
				cc.handOff(err)
				return 0, false
			}
			switch {
			case ctx.Err() != nil:
				return cc.giveUp(id, cl, cancelled), true
			case !time.Now().Before(deadline):
				return cc.giveUp(id, cl, timedOut), true
			}
			cc.leaderDeadline(deadline, true) // an earlier leader's deadline, or a stale kick
			continue
		}
		if !ready {
			cc.handOff(nil)
			return 0, false
		}
		h, body, err := cc.fr.ReadFrame()
		mine, err := cc.handleFrame(h, body, err, cl)
		if err != nil {
			cc.handOff(err)
			return 0, false
		}
		if mine {
			cc.led.Add(1)
			cc.release()
			return answered, true
		}
	}
}

// leaderDeadline puts a read deadline no later than dl on the connection
// for a leader (force: dl itself). A deadline still ahead and not later
// than dl, set by an earlier leader, is kept: it wakes this leader early at
// worst, which then sets its own (force). So while calls with the same
// timeout follow each other, the deadline is set about once per timeout,
// not once per call (each is a change to the runtime's timers).
func (cc *clientConn) leaderDeadline(dl time.Time, force bool) {
	if !force && !cc.rdl.IsZero() && !cc.rdl.After(dl) && cc.rdl.After(time.Now()) {
		return
	}
	cc.rdl = dl
	_ = cc.nc.SetReadDeadline(dl)
}

// giveUp withdraws cl, whose caller holds the read token and stops
// waiting (out), and releases the token. When the call was completed
// meanwhile (the connection ended) it waits for that answer instead.
func (cc *clientConn) giveUp(id int64, cl *call, out waitOutcome) waitOutcome {
	removed := cc.remove(id)
	cc.release()
	if removed {
		return out
	}
	<-cl.done
	return answered
}

// release gives up the read token a caller holds: to the background reader
// when calls are pending or the connection ended, else it frees it and
// arms the idle timer.
func (cc *clientConn) release() {
	cc.mu.Lock()
	cc.leader = nil
	if len(cc.pending) == 0 && cc.readErr == nil && !cc.closed {
		cc.freeLocked()
		cc.mu.Unlock()
		return
	}
	cc.mu.Unlock()
	cc.grant <- struct{}{} // never blocks: one token, one grant outstanding at most
}

// handOff grants the read token a caller holds to the background reader,
// recording err (a read error that ends the connection) for it.
func (cc *clientConn) handOff(err error) {
	cc.mu.Lock()
	cc.leader = nil
	if err != nil && cc.readErr == nil {
		cc.readErr = err
	}
	cc.mu.Unlock()
	cc.grant <- struct{}{}
}

// kick interrupts the read of cl's caller, when it still leads, because
// its context ended.
func (cc *clientConn) kick(cl *call) {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	if cc.leader == cl {
		_ = cc.nc.SetReadDeadline(aLongTimeAgo)
	}
}
