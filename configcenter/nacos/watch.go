package nacos

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/fleetrpc/fleet/configcenter"
	inacos "github.com/fleetrpc/fleet/internal/nacos"
)

// keyWatch polls one key for its watches.
type keyWatch struct {
	id      keyID
	watches map[*watch]struct{} // guarded by Center.mu
	stopCh  chan struct{}       // closed when the last watch stops
}

// watch is one Watch: a goroutine delivering the key's states in order.
type watch struct {
	c        *Center
	kw       *keyWatch
	fn       func(configcenter.Event)
	mail     chan string // the latest content read; capacity 1, coalescing
	stopCh   chan struct{}
	stopOnce sync.Once
	done     chan struct{}
}

// Watch implements configcenter.ConfigCenter.
func (c *Center) Watch(key, group string, fn func(configcenter.Event)) (func(), error) {
	if key == "" || fn == nil {
		return nil, errors.New("nacos config center: watch needs a key and a callback")
	}
	id := keyID{key, c.groupOr(group)}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil, fmt.Errorf("nacos config center: watch %s in %s: %w", id.key, id.group, configcenter.ErrClosed)
	}
	kw := c.keys[id]
	if kw == nil {
		kw = &keyWatch{id: id, watches: map[*watch]struct{}{}, stopCh: make(chan struct{})}
		c.keys[id] = kw
		c.wg.Add(1)
		go c.poll(kw)
	}
	w := &watch{c: c, kw: kw, fn: fn, mail: make(chan string, 1), stopCh: make(chan struct{}), done: make(chan struct{})}
	kw.watches[w] = struct{}{}
	c.wg.Add(1)
	go w.run()
	return w.stop, nil
}

// poll reads kw's key every poll period (at once first) and hands what it
// read to the key's watches, until the last one stops or the center
// closes. A failed read hands nothing.
func (c *Center) poll(kw *keyWatch) {
	defer c.wg.Done()
	// life ends a read in flight when the watch stops or the center closes.
	life, end := context.WithCancel(context.Background())
	defer end()
	go func() {
		select {
		case <-kw.stopCh:
		case <-c.quit:
		case <-life.Done():
		}
		end()
	}()
	t := time.NewTimer(0)
	defer t.Stop()
	seen := false // some read gave content
	empties := 0  // empty reads in a row since content was seen
	for {
		select {
		case <-t.C:
		case <-kw.stopCh:
			return
		case <-c.quit:
			return
		}
		ctx, cancel := context.WithTimeout(life, c.timeout)
		content, err := c.client.GetConfig(ctx, kw.id.key, kw.id.group)
		cancel()
		if errors.Is(err, inacos.ErrConfigNotFound) {
			content, err = "", nil // a deletion, as the SDK's client reads it
		}
		switch {
		case err != nil:
			c.log.Debug("config center read failed; retrying", "key", kw.id.key, "group", kw.id.group, "error", err)
			empties = 0
		case content == "" && seen && empties == 0:
			// A restarting server answers "not found" for a moment: a
			// key that had content is deleted once two reads agree.
			empties++
		default:
			seen = content != "" || seen
			empties = 0
			c.mu.Lock()
			ws := make([]*watch, 0, len(kw.watches))
			for w := range kw.watches {
				ws = append(ws, w)
			}
			c.mu.Unlock()
			for _, w := range ws {
				w.offer(content)
			}
		}
		t.Reset(c.period)
	}
}

// offer replaces the pending content with content; it never blocks.
func (w *watch) offer(content string) {
	for range 2 {
		select {
		case w.mail <- content:
			return
		default:
		}
		select {
		case <-w.mail:
		default:
		}
	}
}

// stop ends the watch and waits for its goroutine; the key's poll stops
// with its last watch.
func (w *watch) stop() {
	w.stopOnce.Do(func() {
		close(w.stopCh)
		c := w.c
		c.mu.Lock()
		delete(w.kw.watches, w)
		if len(w.kw.watches) == 0 && c.keys[w.kw.id] == w.kw {
			delete(c.keys, w.kw.id)
			close(w.kw.stopCh)
		}
		c.mu.Unlock()
	})
	<-w.done
}

func (w *watch) run() {
	defer w.c.wg.Done()
	defer close(w.done)
	var last *configcenter.Event
	for {
		select {
		case content := <-w.mail:
			ev := configcenter.Event{Key: w.kw.id.key, Group: w.kw.id.group, Content: content, Deleted: content == ""}
			if last != nil && *last == ev {
				continue
			}
			select {
			case <-w.stopCh:
				return
			default:
			}
			w.fn(ev)
			last = &ev
		case <-w.stopCh:
			return
		case <-w.c.quit:
			return
		}
	}
}
