package zookeeper

import (
	"time"

	"github.com/go-zookeeper/zk"
)

// connect starts a new client (and so a new session) and makes it the
// center's; the events of the client it replaces are ignored from now on.
func (c *Center) connect() error {
	c.sessMu.Lock()
	c.downSince = time.Now() // no session yet on the new client
	c.sessMu.Unlock()
	gen := c.connGen.Add(1)
	conn, events, err := zk.Connect(c.servers, c.sessTimeout,
		zk.WithDialer(zk.Dialer(c.dialer)),
		zk.WithLogger(zkLogger{c.log}),
		zk.WithLogInfo(false),
		zk.WithEventCallback(func(ev zk.Event) { c.event(gen, ev) }),
	)
	if err != nil {
		return err
	}
	c.libWG.Add(1)
	go func() { // the client closes events when its goroutines are done
		defer c.libWG.Done()
		for range events {
		}
	}()
	old := c.conn.Swap(conn)
	if old != nil {
		old.Close()
	}
	if u := c.url; u.Username() != "" {
		// The client re-sends credentials it holds on every reconnect;
		// AddAuth blocks until a session answers, so not here.
		c.wg.Add(1)
		go func() {
			defer c.wg.Done()
			up, _ := c.session()
			select {
			case <-up:
				if err := conn.AddAuth("digest", []byte(u.Username()+":"+u.Password())); err != nil {
					c.log.Error("zookeeper digest auth failed", "error", err)
				}
			case <-c.quit:
			}
		}()
	}
	return nil
}

// supervise starts a new client when the center has had no session for
// longer than the session timeout: the old session is gone on the server
// by then, and a client that saw later transactions than a server that
// lost its data would otherwise retry it forever.
func (c *Center) supervise() {
	defer c.wg.Done()
	tick := time.NewTicker(c.sessTimeout / 4)
	defer tick.Stop()
	for {
		select {
		case <-c.quit:
			return
		case <-tick.C:
		}
		c.sessMu.Lock()
		stale := !c.downSince.IsZero() && time.Since(c.downSince) > c.sessTimeout
		c.sessMu.Unlock()
		if !stale {
			continue
		}
		c.log.Warn("no zookeeper session for longer than the session timeout; starting a new one", "session", c.sessTimeout)
		c.expiries.Add(1) // gone on the server by now
		if err := c.connect(); err != nil {
			c.log.Error("zookeeper client not restarted", "error", err)
		}
	}
}
