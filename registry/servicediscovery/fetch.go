package servicediscovery

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/fleetrpc/fleet/protocol"
)

// Fetcher fetches the metadata of one revision from one instance.
type Fetcher interface {
	Fetch(ctx context.Context, in *Instance, revision string) (*MetadataInfo, error)
}

// FetcherFunc adapts a function to a Fetcher.
type FetcherFunc func(ctx context.Context, in *Instance, revision string) (*MetadataInfo, error)

// Fetch implements Fetcher.
func (f FetcherFunc) Fetch(ctx context.Context, in *Instance, revision string) (*MetadataInfo, error) {
	return f(ctx, in, revision)
}

// dubboFetcher calls MetadataService.getMetadataInfo(revision) through a
// protocol (dubbo://).
type dubboFetcher struct {
	proto   protocol.Protocol
	timeout time.Duration
}

func (f *dubboFetcher) Fetch(ctx context.Context, in *Instance, revision string) (*MetadataInfo, error) {
	u, err := in.MetadataServiceURL()
	if err != nil {
		return nil, err
	}
	u = u.WithParam("timeout", strconv.FormatInt(f.timeout.Milliseconds(), 10))
	inv, err := f.proto.Refer(u)
	if err != nil {
		return nil, fmt.Errorf("refer %s: %w", u, err)
	}
	defer inv.Destroy()
	ctx, cancel := context.WithTimeout(ctx, f.timeout)
	defer cancel()
	res := inv.Invoke(ctx, protocol.NewInvocation("getMetadataInfo", revision).WithParameterTypes("java.lang.String"))
	if err := res.Error(); err != nil {
		return nil, fmt.Errorf("getMetadataInfo(%s) at %s: %w", revision, u.Address(), err)
	}
	md, err := toMetadataInfo(res.Value())
	if err != nil {
		return nil, fmt.Errorf("getMetadataInfo(%s) at %s: %w", revision, u.Address(), err)
	}
	return md, nil
}

// revKey names one revision of one application.
type revKey struct{ app, revision string }

// revEntry is the cache's state of one revision: in flight (done open),
// fetched (info set) or failed (err set, failedAt when).
type revEntry struct {
	done     chan struct{}
	waiters  []func() // called when the fetch in flight ends
	info     *MetadataInfo
	err      error
	failedAt time.Time
}

// revisionCache holds the metadata per application revision. A revision
// is fetched once however many ask for it; a failed one is fetched again
// only after the retry period.
type revisionCache struct {
	retry time.Duration // a failed revision is fetched again after this

	mu      sync.Mutex
	entries map[revKey]*revEntry
}

func newRevisionCache(retry time.Duration) *revisionCache {
	return &revisionCache{retry: retry, entries: map[revKey]*revEntry{}}
}

// start makes sure k is fetched: it returns a channel closed when k's
// fetch in flight ends, starting one with run (which must call finish)
// when k is neither cached, nor in flight, nor failed less than the retry
// period ago. wake is called when that fetch ends. It returns nil when k
// is cached or failed recently (see peek and failed).
func (c *revisionCache) start(k revKey, wake func(), run func(finish func(*MetadataInfo, error))) <-chan struct{} {
	c.mu.Lock()
	e := c.entries[k]
	switch {
	case e == nil:
	case e.info != nil:
		c.mu.Unlock()
		return nil
	case e.err == nil: // in flight
		e.waiters = append(e.waiters, wake)
		c.mu.Unlock()
		return e.done
	case time.Since(e.failedAt) < c.retry:
		c.mu.Unlock()
		return nil
	}
	e = &revEntry{done: make(chan struct{}), waiters: []func(){wake}}
	c.entries[k] = e
	c.mu.Unlock()
	run(func(info *MetadataInfo, err error) {
		c.mu.Lock()
		if err != nil {
			e.err, e.failedAt = err, time.Now()
		} else {
			e.info = info
		}
		waiters := e.waiters
		e.waiters = nil
		c.mu.Unlock()
		close(e.done)
		for _, w := range waiters {
			w()
		}
	})
	return e.done
}

// peek returns the cached metadata of k, if fetched.
func (c *revisionCache) peek(k revKey) *MetadataInfo {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e := c.entries[k]; e != nil {
		return e.info
	}
	return nil
}

// failed reports whether k's last fetch failed.
func (c *revisionCache) failed(k revKey) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	e := c.entries[k]
	return e != nil && e.err != nil
}

// retain drops the revisions not in keep, except those being fetched.
func (c *revisionCache) retain(keep map[revKey]bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, e := range c.entries {
		if !keep[k] && (e.info != nil || e.err != nil) {
			delete(c.entries, k)
		}
	}
}

// len is the number of revisions held.
func (c *revisionCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.entries)
}
