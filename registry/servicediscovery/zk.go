package servicediscovery

import (
	"context"
	"errors"
	"path"
	"strings"
	"sync"
	"sync/atomic"
)

// zkSource reads the topology from the Registry's ZooKeeper session: the
// mapping node /<group>/mapping/<interface>, the instance nodes
// /services/<app>/<id> (Curator's JSON) and the metadata report node
// /<group>/metadata/<app>/<revision>. Its watches are ZooKeeper's, whose
// events Registry.onEvent hands to the subscriptions (mark).
type zkSource struct{ r *Registry }

func (z zkSource) ready(ctx context.Context) error { return z.r.waitSession(ctx) }

func (z zkSource) mapping(_ context.Context, s *subscription) ([]string, error) {
	data, _, err := z.r.readData(s.mappingPath(), s.watch, true)
	if err != nil {
		return nil, err
	}
	return parseMapping(string(data)), nil
}

func (z zkSource) instances(_ context.Context, s *subscription, app string, old map[string]*Instance, d dirty) (map[string]*Instance, error) {
	if old != nil && !d.all && !d.apps[app] {
		// Only data changes of known nodes.
		for name := range old {
			p := s.appPath(app) + "/" + name
			if !d.nodes[p] {
				continue
			}
			nin, err := s.readInstance(app, p)
			if err != nil {
				return nil, err
			}
			if nin == nil {
				delete(old, name)
			} else {
				old[name] = nin
			}
		}
		return old, nil
	}
	children, err := z.r.readChildren(s.appPath(app), s.watch)
	if err != nil {
		return nil, err
	}
	cur := make(map[string]*Instance, len(children))
	var toRead []string
	for _, name := range children {
		p := s.appPath(app) + "/" + name
		if in, ok := old[name]; ok && !d.all && !d.nodes[p] {
			cur[name] = in
			continue
		}
		toRead = append(toRead, name)
	}
	read, err := s.readInstances(app, toRead)
	if err != nil {
		return nil, err
	}
	for i, name := range toRead {
		if read[i] != nil {
			cur[name] = read[i]
		}
	}
	return cur, nil
}

// release: a ZooKeeper watch fires once and is not re-armed for an
// application no longer read; there is nothing to drop.
func (zkSource) release(*subscription, map[string]bool) {}

func (z zkSource) report(_ context.Context, app, revision string) ([]byte, error) {
	p := z.r.metadataRoot + "/" + app + "/" + revision
	data, ok, err := z.r.readData(p, false, false)
	if err == nil && !ok {
		err = errNoNode(p)
	}
	return data, err
}

func (z zkSource) close() {
	z.r.conn.Close()
	<-z.r.lib
}

func (s *subscription) mappingPath() string { return s.r.mappingRoot + "/" + s.iface }

func (s *subscription) appPath(app string) string { return s.r.servicesRoot + "/" + app }

// mark marks the node at p dirty when this subscription reads it.
func (s *subscription) mark(p string) {
	s.dmu.Lock()
	hit := true
	switch {
	case p == s.mappingPath():
		s.pending.mapping = true
	case strings.HasPrefix(p, s.r.servicesRoot+"/"):
		rest := p[len(s.r.servicesRoot)+1:]
		app, _, child := strings.Cut(rest, "/")
		switch {
		case !s.appSet[app]:
			hit = false
		case !child:
			if s.pending.apps == nil {
				s.pending.apps = map[string]bool{}
			}
			s.pending.apps[app] = true
		default:
			if s.pending.nodes == nil {
				s.pending.nodes = map[string]bool{}
			}
			s.pending.nodes[p] = true
		}
	default:
		hit = false
	}
	s.dmu.Unlock()
	if hit {
		s.wake()
	}
}

// maxParallelReads bounds the instance nodes read at once (the requests
// are pipelined on the one session).
const maxParallelReads = 32

// readInstances reads the named instance nodes of app concurrently; the
// result holds nil for a node gone or unreadable.
func (s *subscription) readInstances(app string, names []string) ([]*Instance, error) {
	out := make([]*Instance, len(names))
	if len(names) == 1 {
		in, err := s.readInstance(app, s.appPath(app)+"/"+names[0])
		out[0] = in
		return out, err
	}
	errs := make([]error, len(names))
	var failed atomic.Bool
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(maxParallelReads, len(names)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if failed.Load() { // no more requests once the connection failed
					errs[i] = errReadAborted
					continue
				}
				out[i], errs[i] = s.readInstance(app, s.appPath(app)+"/"+names[i])
				if errs[i] != nil {
					failed.Store(true)
				}
			}
		}()
	}
	for i := range names {
		next <- i
	}
	close(next)
	wg.Wait()
	for _, err := range errs {
		if err != nil && err != errReadAborted {
			return nil, err
		}
	}
	return out, nil
}

// readInstance reads and parses one instance node: nil when it is gone or
// unreadable (logged), an error only when ZooKeeper failed.
func (s *subscription) readInstance(app, p string) (*Instance, error) {
	data, ok, err := s.r.readData(p, s.watch, false)
	if err != nil || !ok {
		return nil, err
	}
	in, err := parseInstance(app, data)
	if err != nil {
		s.r.log.Warn("application-level discovery: instance skipped: bad node",
			"app", app, "node", path.Base(p), "err", err)
		return nil, nil
	}
	if in.Revision() == "" {
		s.r.log.Warn("application-level discovery: instance skipped: no metadata revision",
			"app", app, "instance", in.ID)
	}
	return in, nil
}

// errReadAborted marks reads not issued after another one failed.
var errReadAborted = errors.New("read aborted")

type errNoNode string

func (e errNoNode) Error() string { return "no node " + string(e) }
