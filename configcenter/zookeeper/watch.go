package zookeeper

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/go-zookeeper/zk"

	"github.com/fleetrpc/fleet/configcenter"
)

// watch is one Watch: a goroutine that reads its node, delivers a changed
// state and waits for the node's watch, the next session or the end.
type watch struct {
	c          *Center // immutable
	key, group string  // immutable
	path       string  // immutable
	fn         func(configcenter.Event)
	stopCh     chan struct{}
	stopOnce   sync.Once
	done       chan struct{}
}

// Watch implements configcenter.ConfigCenter.
func (c *Center) Watch(key, group string, fn func(configcenter.Event)) (func(), error) {
	if key == "" || fn == nil {
		return nil, errors.New("zookeeper config center: watch needs a key and a callback")
	}
	if group == "" {
		group = c.group
	}
	w := &watch{c: c, key: key, group: group, path: c.Path(key, group), fn: fn,
		stopCh: make(chan struct{}), done: make(chan struct{})}
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil, fmt.Errorf("zookeeper config center: watch %s: %w", w.path, configcenter.ErrClosed)
	}
	c.wg.Add(1)
	c.mu.Unlock()
	go w.run()
	return w.stop, nil
}

// stop ends the watch and waits for its goroutine (unless called from it).
func (w *watch) stop() {
	w.stopOnce.Do(func() { close(w.stopCh) })
	<-w.done
}

func (w *watch) run() {
	defer func() {
		close(w.done)
		w.c.wg.Done()
	}()
	var last *configcenter.Event
	retry := time.NewTimer(time.Hour)
	retry.Stop()
	defer retry.Stop()
	for {
		up, next := w.c.session()
		select {
		case <-up:
		case <-w.stopCh:
			return
		case <-w.c.quit:
			return
		}
		ev, changed, err := w.read()
		if err != nil {
			w.c.log.Debug("config center read failed; retrying", "path", w.path, "error", err)
			retry.Reset(retryPeriod)
			select {
			case <-retry.C:
			case <-next:
				retry.Stop()
			case <-w.stopCh:
				return
			case <-w.c.quit:
				return
			}
			continue
		}
		if last == nil || *last != ev {
			select {
			case <-w.stopCh:
				return
			case <-w.c.quit:
				return
			default:
			}
			w.fn(ev)
			last = &ev
		}
		select {
		case <-changed:
		case <-next:
		case <-w.stopCh:
			return
		case <-w.c.quit:
			return
		}
	}
}

// read reads the node and arms a watch on it: a data watch when it
// exists, an exists watch when it does not.
func (w *watch) read() (configcenter.Event, <-chan zk.Event, error) {
	ev := configcenter.Event{Key: w.key, Group: w.group}
	for attempt := 0; attempt < 3; attempt++ {
		data, _, ch, err := w.c.conn.Load().GetW(w.path)
		if err == nil {
			ev.Content = string(data)
			return ev, ch, nil
		}
		if !errors.Is(err, zk.ErrNoNode) {
			return ev, nil, err
		}
		ok, _, ch, err := w.c.conn.Load().ExistsW(w.path)
		if err != nil {
			return ev, nil, err
		}
		if !ok {
			ev.Deleted = true
			return ev, ch, nil
		}
		// created between the two calls: read it
	}
	return ev, nil, errors.New("node keeps appearing and disappearing")
}
