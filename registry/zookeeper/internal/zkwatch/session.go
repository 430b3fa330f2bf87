package zkwatch

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// DefaultMaxFrame is the largest frame a session reads when Config.MaxFrame
// is zero: 100,000 children of ~450 bytes take ~45 MB.
const DefaultMaxFrame = 256 << 20

// maxConnectResponse caps the connect response: a few numbers and a
// 16-byte password.
const maxConnectResponse = 1 << 10

// Config is what Dial needs. Address, SessionTimeout and OnEvent are
// required.
type Config struct {
	// Address is the server, host:port.
	Address string
	// SessionTimeout is the session timeout asked for; the server may
	// narrow it. Pings go at a third of the one it grants, and a
	// connection silent for two thirds of it is taken as lost.
	SessionTimeout time.Duration
	// Dial opens the connection; nil means net.DialTimeout.
	Dial func(network, address string, timeout time.Duration) (net.Conn, error)
	// Digest, when not nil, is sent as digest credentials (user:password)
	// before Dial returns.
	Digest []byte
	// OnEvent is called for each notification, by the session's reader,
	// in the order the server sent them. It must not block.
	OnEvent func(Event)
	// MaxFrame caps a frame's size; 0 means DefaultMaxFrame.
	MaxFrame int
}

// Session is one ZooKeeper session on one connection. Its methods are safe
// for concurrent use.
type Session struct {
	conn     net.Conn      // immutable
	id       int64         // immutable
	timeout  time.Duration // immutable: the session timeout granted
	onEvent  func(Event)   // immutable
	maxFrame int           // immutable

	wmu sync.Mutex // serialises writes on conn

	mu      sync.Mutex // guards the fields below
	xid     int32
	pending map[int32]chan reply
	err     error         // why the session ended; nil while it runs
	done    chan struct{} // closed when err is set

	wg        sync.WaitGroup // the reader and the pinger
	closeOnce sync.Once
	closing   atomic.Bool // Close has begun: the session ends with ErrClosed
}

// reply is a request's answer: its place among the frames read, the
// reply header's error code and the body (owned by the receiver).
type reply struct {
	seq  uint64
	code int32
	body []byte
	err  error
}

// Dial connects to cfg.Address and establishes a new session, bounded by
// ctx. The session runs until Close or a break (Done).
func Dial(ctx context.Context, cfg Config) (*Session, error) {
	if cfg.SessionTimeout <= 0 || cfg.OnEvent == nil || cfg.Address == "" {
		return nil, errors.New("zkwatch: dial: address, session timeout and event callback are required")
	}
	dial := cfg.Dial
	if dial == nil {
		dial = net.DialTimeout
	}
	maxFrame := cfg.MaxFrame
	if maxFrame <= 0 {
		maxFrame = DefaultMaxFrame
	}
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = time.Now().Add(cfg.SessionTimeout)
	}
	conn, err := dial("tcp", cfg.Address, time.Until(deadline))
	if err != nil {
		return nil, fmt.Errorf("zkwatch: dial %s: %w", cfg.Address, err)
	}
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })
	resp, br, err := handshake(conn, deadline, cfg.SessionTimeout)
	if !stop() && err == nil {
		err = ctx.Err()
	}
	if err == nil {
		err = conn.SetDeadline(time.Time{})
	}
	if err != nil {
		_ = conn.Close()
		return nil, fmt.Errorf("zkwatch: connect to %s: %w", cfg.Address, err)
	}
	s := &Session{
		conn:     conn,
		id:       resp.sessionID,
		timeout:  time.Duration(resp.timeoutMS) * time.Millisecond,
		onEvent:  cfg.OnEvent,
		maxFrame: maxFrame,
		pending:  map[int32]chan reply{},
		done:     make(chan struct{}),
	}
	s.wg.Add(2)
	go s.readLoop(br)
	go s.pingLoop()
	if cfg.Digest != nil {
		if err := s.auth(ctx, "digest", cfg.Digest); err != nil {
			s.Close()
			return nil, fmt.Errorf("zkwatch: auth on %s: %w", cfg.Address, err)
		}
	}
	return s, nil
}

// handshake sends the connect request and reads the response.
func handshake(conn net.Conn, deadline time.Time, timeout time.Duration) (connectResponse, *bufio.Reader, error) {
	if err := conn.SetDeadline(deadline); err != nil {
		return connectResponse{}, nil, err
	}
	if _, err := conn.Write(connectRequest(int32(timeout / time.Millisecond))); err != nil {
		return connectResponse{}, nil, err
	}
	br := bufio.NewReaderSize(conn, 64<<10)
	body, err := readFrame(br, 0, maxConnectResponse)
	if err != nil {
		return connectResponse{}, nil, err
	}
	resp, err := decodeConnectResponse(body)
	if err != nil {
		return connectResponse{}, nil, err
	}
	if resp.sessionID == 0 || resp.timeoutMS <= 0 {
		return connectResponse{}, nil, ErrRefused
	}
	return resp, br, nil
}

// readFrame reads one length-prefixed frame of min to max bytes into a
// buffer of its own.
func readFrame(r io.Reader, minLen, maxLen int) ([]byte, error) {
	var head [4]byte
	if _, err := io.ReadFull(r, head[:]); err != nil {
		return nil, err
	}
	n := int(int32(binary.BigEndian.Uint32(head[:])))
	if n < minLen || n > maxLen {
		return nil, fmt.Errorf("%w: frame of %d bytes (%d to %d allowed)", ErrBadFrame, n, minLen, maxLen)
	}
	body := make([]byte, n)
	if _, err := io.ReadFull(r, body); err != nil {
		return nil, err
	}
	return body, nil
}

// ID is the session's id.
func (s *Session) ID() int64 { return s.id }

// Timeout is the session timeout the server granted.
func (s *Session) Timeout() time.Duration { return s.timeout }

// Done is closed when the session has ended.
func (s *Session) Done() <-chan struct{} { return s.done }

// Err is why the session ended (ErrClosed after Close); nil while it
// runs.
func (s *Session) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// Close ends the session: it asks the server to close it (bounded by a
// second, or the session timeout when shorter), closes the connection and
// waits for the session's goroutines. It is idempotent.
func (s *Session) Close() {
	s.closeOnce.Do(func() {
		s.closing.Store(true)
		if s.Err() == nil {
			ctx, cancel := context.WithTimeout(context.Background(), min(time.Second, s.timeout))
			_, _ = s.call(ctx, opCloseSession, nil)
			cancel()
		}
		s.fail(ErrClosed)
		s.wg.Wait()
	})
}

// fail ends the session with err (the first error wins): pending requests
// get it, the connection is closed, Done is closed.
func (s *Session) fail(err error) {
	if s.closing.Load() {
		err = ErrClosed // the server closes the connection once it has closed the session
	}
	s.mu.Lock()
	if s.err != nil {
		s.mu.Unlock()
		return
	}
	s.err = err
	pending := s.pending
	s.pending = nil
	close(s.done)
	s.mu.Unlock()
	_ = s.conn.Close()
	for _, ch := range pending {
		ch <- reply{err: err}
	}
}

// readLoop reads frames until the connection fails or a frame is bad,
// numbering them, and hands each to its request or to onEvent.
func (s *Session) readLoop(br *bufio.Reader) {
	defer s.wg.Done()
	readTimeout := s.timeout * 2 / 3
	var seq uint64
	for {
		if err := s.conn.SetReadDeadline(time.Now().Add(readTimeout)); err != nil {
			s.fail(fmt.Errorf("zkwatch: read: %w", err))
			return
		}
		frame, err := readFrame(br, replyHeaderLen, s.maxFrame)
		if err != nil {
			s.fail(fmt.Errorf("zkwatch: read: %w", err))
			return
		}
		seq++
		if err := s.dispatch(seq, frame); err != nil {
			s.fail(err)
			return
		}
	}
}

// dispatch handles one frame.
func (s *Session) dispatch(seq uint64, frame []byte) error {
	d := decoder{b: frame}
	h := decodeReplyHeader(&d)
	if d.err != nil {
		return fmt.Errorf("zkwatch: reply header: %w", d.err)
	}
	switch h.xid {
	case xidNotification:
		ev := decodeEvent(&d)
		if d.err != nil {
			return fmt.Errorf("zkwatch: notification: %w", d.err)
		}
		ev.Seq = seq
		s.onEvent(ev)
		return nil
	case xidPing:
		return nil
	}
	s.mu.Lock()
	ch, ok := s.pending[h.xid]
	delete(s.pending, h.xid)
	s.mu.Unlock()
	if !ok {
		return fmt.Errorf("%w: a reply to no request (xid %d)", ErrBadFrame, h.xid)
	}
	ch <- reply{seq: seq, code: h.err, body: frame[replyHeaderLen:]}
	if Error(h.err) == ErrUnimplemented {
		// The server closes the connection after this reply; the session
		// ends saying why.
		return fmt.Errorf("zkwatch: the server does not support a request: %w", ErrUnimplemented)
	}
	return nil
}

// pingLoop pings at a third of the session timeout until the session
// ends.
func (s *Session) pingLoop() {
	defer s.wg.Done()
	t := time.NewTicker(s.timeout / 3)
	defer t.Stop()
	ping := request(xidPing, opPing, nil)
	for {
		select {
		case <-s.done:
			return
		case <-t.C:
			if err := s.write(ping); err != nil {
				s.fail(fmt.Errorf("zkwatch: ping: %w", err))
				return
			}
		}
	}
}

func (s *Session) write(frame []byte) error {
	s.wmu.Lock()
	defer s.wmu.Unlock()
	if err := s.conn.SetWriteDeadline(time.Now().Add(s.timeout)); err != nil {
		return err
	}
	_, err := s.conn.Write(frame)
	return err
}

// call sends a request and waits for its reply. A reply with an error
// code returns Error; a request that times out ends the session (the
// server is not answering in order any more, or at all).
func (s *Session) call(ctx context.Context, op int32, body func(*encoder)) (reply, error) {
	return s.callXid(ctx, 0, op, body)
}

// callXid is call with a reserved xid, or the next one when xid is 0.
func (s *Session) callXid(ctx context.Context, xid, op int32, body func(*encoder)) (reply, error) {
	ch := make(chan reply, 1)
	s.mu.Lock()
	if s.err != nil {
		err := s.err
		s.mu.Unlock()
		return reply{}, err
	}
	if xid == 0 {
		s.xid++
		if s.xid <= 0 {
			s.xid = 1
		}
		xid = s.xid
	}
	s.pending[xid] = ch
	s.mu.Unlock()
	if err := s.write(request(xid, op, body)); err != nil {
		err = fmt.Errorf("zkwatch: write: %w", err)
		s.fail(err)
		return reply{}, err
	}
	select {
	case r := <-ch:
		return r, r.error()
	case <-ctx.Done():
		select {
		case r := <-ch: // the reply came too
			return r, r.error()
		default:
		}
		err := fmt.Errorf("zkwatch: no reply: %w", ctx.Err())
		s.fail(err)
		return reply{}, err
	}
}

// error is the reply's error: the session's end, or the server's code.
func (r reply) error() error {
	if r.err != nil {
		return r.err
	}
	if r.code != 0 {
		return Error(r.code)
	}
	return nil
}

// auth sends credentials of scheme and waits for the server's answer.
func (s *Session) auth(ctx context.Context, scheme string, cred []byte) error {
	_, err := s.callXid(ctx, xidAuth, opSetAuth, func(e *encoder) {
		e.int32(0)
		e.string(scheme)
		e.buffer(cred)
	})
	return err
}

// AddWatch adds a watch of mode on path (ZooKeeper 3.6+; older servers
// answer ErrUnimplemented and close the connection). path need not exist.
func (s *Session) AddWatch(ctx context.Context, path string, mode WatchMode) error {
	_, err := s.call(ctx, opAddWatch, func(e *encoder) {
		e.string(path)
		e.int32(int32(mode))
	})
	if err != nil {
		return fmt.Errorf("add watch %s: %w", path, err)
	}
	return nil
}

// Children is a getChildren2 reply: the child names, the parent's stat,
// and the reply's place among the frames read (notifications with a lower
// Seq happened before the read and are in Names).
type Children struct {
	Names []string
	Stat  Stat
	Seq   uint64
}

// Children reads path's children without setting a watch.
func (s *Session) Children(ctx context.Context, path string) (Children, error) {
	r, err := s.call(ctx, opGetChildren2, func(e *encoder) {
		e.string(path)
		e.bool(false)
	})
	if err != nil {
		return Children{}, fmt.Errorf("children %s: %w", path, err)
	}
	names, st, err := decodeChildren2(r.body)
	if err != nil {
		err = fmt.Errorf("children %s: %w", path, err)
		s.fail(err)
		return Children{}, err
	}
	return Children{Names: names, Stat: st, Seq: r.seq}, nil
}
