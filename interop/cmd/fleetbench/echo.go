package main

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
)

// The echo pair is the floor the dubbo pairs are measured against: a raw
// TCP echo over the same loopback, one connection per caller, each call
// one write of a 16-byte header (as Dubbo's) and the payload, and one read
// of the same bytes back.
const echoHeader = 16

// serveEcho echoes every connection accepted on ln until ln is closed.
func serveEcho(ln net.Listener) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		go func() {
			defer c.Close()
			buf := make([]byte, 64<<10)
			for {
				if _, err := io.ReadFull(c, buf[:echoHeader]); err != nil {
					return
				}
				n := int(binary.BigEndian.Uint32(buf[12:16]))
				if n > len(buf)-echoHeader {
					return
				}
				if _, err := io.ReadFull(c, buf[echoHeader:echoHeader+n]); err != nil {
					return
				}
				if _, err := c.Write(buf[:echoHeader+n]); err != nil {
					return
				}
			}
		}()
	}
}

// echoCaller calls the echo server at addr: each caller goroutine takes a
// connection of its own from a free list, so calls never share one.
type echoCaller struct {
	addr    string
	payload []byte
	mu      sync.Mutex
	free    []*echoConn
	all     []net.Conn
}

// echoConn is a connection and its message buffer.
type echoConn struct {
	net.Conn
	msg []byte
}

func (e *echoCaller) call(ctx context.Context) error {
	e.mu.Lock()
	var c *echoConn
	if n := len(e.free); n > 0 {
		c, e.free = e.free[n-1], e.free[:n-1]
	}
	e.mu.Unlock()
	if c == nil {
		var d net.Dialer
		nc, err := d.DialContext(ctx, "tcp", e.addr)
		if err != nil {
			return err
		}
		c = &echoConn{Conn: nc, msg: make([]byte, echoHeader+len(e.payload))}
		e.mu.Lock()
		e.all = append(e.all, nc)
		e.mu.Unlock()
	}
	msg := c.msg
	binary.BigEndian.PutUint32(msg[12:16], uint32(len(e.payload)))
	copy(msg[echoHeader:], e.payload)
	if _, err := c.Write(msg); err != nil {
		return err
	}
	if _, err := io.ReadFull(c, msg); err != nil {
		return err
	}
	if int(binary.BigEndian.Uint32(msg[12:16])) != len(e.payload) {
		return errors.New("echo: the length came back changed")
	}
	e.mu.Lock()
	e.free = append(e.free, c)
	e.mu.Unlock()
	return nil
}

func (e *echoCaller) close() {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, c := range e.all {
		c.Close()
	}
}

func listenEcho() (net.Listener, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("echo: %w", err)
	}
	go serveEcho(ln)
	return ln, nil
}
