package dubbo

import (
	"fmt"
	"maps"
	"net"
	"strconv"
	"sync"

	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/protocol"
)

// exporter is one service exported on a server.
type exporter struct {
	proto   *Protocol        // immutable
	srv     *server          // immutable
	key     string           // immutable: the export key
	url     *common.URL      // immutable: the invoker's URL with the bound port
	invoker protocol.Invoker // immutable
	once    sync.Once
}

// Invoker implements protocol.Exporter.
func (e *exporter) Invoker() protocol.Invoker { return e.invoker }

// URL is the URL the service is reachable at: the invoker's URL with the
// port the server bound (useful with port 0).
func (e *exporter) URL() *common.URL { return e.url }

// Unexport implements protocol.Exporter: later calls get Dubbo's "not found
// exported service" answer; the server closes gracefully once it serves
// nothing. The invoker is destroyed.
func (e *exporter) Unexport() {
	e.once.Do(func() {
		e.proto.unexport(e)
		e.invoker.Destroy()
	})
}

// Export implements protocol.Protocol: the invoker is served on a TCP
// server listening on its URL's host and port (every interface when the
// host is 0.0.0.0 or empty), under the export key [group/]path[:version]:port.
// Services exported on one port share its server, whose settings (threads,
// payload, heartbeat) come from the first. Port 0 binds a free port: the
// exporter's URL method (an optional interface) tells which.
func (p *Protocol) Export(inv protocol.Invoker) (protocol.Exporter, error) {
	u := inv.URL()
	host := u.Host()
	if host == common.AnyHost {
		host = ""
	}
	addr := net.JoinHostPort(host, strconv.Itoa(u.Port()))
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.destroyed {
		return nil, fmt.Errorf("dubbo: export %s: protocol destroyed", u)
	}
	srv := p.servers[addr]
	if srv == nil || u.Port() == 0 {
		var err error
		if srv, err = newServer(p, addr, u); err != nil {
			return nil, fmt.Errorf("dubbo: export %s: %w", u, err)
		}
		p.servers[net.JoinHostPort(host, strconv.Itoa(srv.port))] = srv
	}
	bound := u
	if u.Port() == 0 {
		bound = u.WithPort(srv.port)
	}
	key := bound.ExportKey()
	old := *srv.exporters.Load()
	if _, dup := old[key]; dup {
		return nil, fmt.Errorf("dubbo: export %s: %s already exported", u, key)
	}
	e := &exporter{proto: p, srv: srv, key: key, url: bound, invoker: inv}
	next := maps.Clone(old)
	next[key] = e
	srv.exporters.Store(&next)
	p.exporters[e] = struct{}{}
	return e, nil
}

func (p *Protocol) unexport(e *exporter) {
	p.mu.Lock()
	delete(p.exporters, e)
	srv := e.srv
	old := *srv.exporters.Load()
	next := maps.Clone(old)
	delete(next, e.key)
	srv.exporters.Store(&next)
	closing := len(next) == 0
	if closing {
		for k, s := range p.servers {
			if s == srv {
				delete(p.servers, k)
			}
		}
	}
	p.mu.Unlock()
	if closing {
		srv.close(p.opts.grace)
	}
}
