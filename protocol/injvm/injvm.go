package injvm

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/protocol"
)

// Name is the protocol's name and URL scheme.
const Name = "injvm"

func init() { protocol.Register(Name, New()) }

// Protocol exports and refers services inside the process.
//
// Exporters are keyed by provider address and service key
// (host:port/group/interface:version), not by service key alone as in Java
// Dubbo, so several in-process providers of one service can stand side by
// side, each under its own address, as the samples and tests need.
type Protocol struct {
	// exporters is swapped whole on export and unexport; calls read it
	// without a lock.
	exporters atomic.Pointer[map[string]*exporter]

	mu        sync.Mutex // guards writers of exporters, invokers, destroyed
	invokers  map[*invoker]struct{}
	destroyed bool
}

// New returns an empty in-process protocol. Most programs use the one
// registered as "injvm" (protocol.Get(injvm.Name)); tests make their own.
func New() *Protocol {
	p := &Protocol{invokers: map[*invoker]struct{}{}}
	p.exporters.Store(&map[string]*exporter{})
	return p
}

func key(u *common.URL) string { return u.Address() + "/" + u.ServiceKey() }

// Export implements protocol.Protocol: calls referred to invoker's URL
// (its address and service key) reach invoker.
func (p *Protocol) Export(inv protocol.Invoker) (protocol.Exporter, error) {
	k := key(inv.URL())
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.destroyed {
		return nil, fmt.Errorf("injvm: export %s: protocol destroyed", k)
	}
	old := *p.exporters.Load()
	if _, dup := old[k]; dup {
		return nil, fmt.Errorf("injvm: export %s: already exported", k)
	}
	e := &exporter{proto: p, key: k, invoker: inv}
	next := maps.Clone(old)
	next[k] = e
	p.exporters.Store(&next)
	return e, nil
}

// Refer implements protocol.Protocol. The invoker finds the exporter at
// call time, so a provider exported later, or again, is reached.
func (p *Protocol) Refer(url *common.URL) (protocol.Invoker, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.destroyed {
		return nil, fmt.Errorf("injvm: refer %s: protocol destroyed", url)
	}
	inv := &invoker{proto: p, url: url, key: key(url)}
	p.invokers[inv] = struct{}{}
	return inv, nil
}

// Destroy implements protocol.Protocol.
func (p *Protocol) Destroy() {
	p.mu.Lock()
	if p.destroyed {
		p.mu.Unlock()
		return
	}
	p.destroyed = true
	exporters := *p.exporters.Load()
	p.exporters.Store(&map[string]*exporter{})
	invokers := p.invokers
	p.invokers = nil
	p.mu.Unlock()
	for _, e := range exporters {
		e.invoker.Destroy()
	}
	for inv := range invokers {
		inv.destroyed.Store(true)
	}
}

func (p *Protocol) unexport(e *exporter) {
	p.mu.Lock()
	defer p.mu.Unlock()
	old := *p.exporters.Load()
	if old[e.key] != e {
		return
	}
	next := maps.Clone(old)
	delete(next, e.key)
	p.exporters.Store(&next)
}

func (p *Protocol) forget(inv *invoker) {
	p.mu.Lock()
	delete(p.invokers, inv)
	p.mu.Unlock()
}

type exporter struct {
	proto    *Protocol        // immutable
	key      string           // immutable
	invoker  protocol.Invoker // immutable
	unexport sync.Once
}

func (e *exporter) Invoker() protocol.Invoker { return e.invoker }

func (e *exporter) Unexport() {
	e.unexport.Do(func() {
		e.proto.unexport(e)
		e.invoker.Destroy()
	})
}

type invoker struct {
	proto     *Protocol   // immutable
	url       *common.URL // immutable
	key       string      // immutable
	destroyed atomic.Bool
}

func (i *invoker) URL() *common.URL { return i.url }

func (i *invoker) IsAvailable() bool {
	if i.destroyed.Load() {
		return false
	}
	e, ok := (*i.proto.exporters.Load())[i.key]
	return ok && e.invoker.IsAvailable()
}

// Invoke calls the exported invoker in the caller's goroutine; the call
// cannot be interrupted once the service method runs, but a context that
// has already ended fails it before it starts.
func (i *invoker) Invoke(ctx context.Context, inv protocol.Invocation) protocol.Result {
	if i.destroyed.Load() {
		return protocol.ErrorResult(i.fail(protocol.KindNetwork, inv, "invoker destroyed", nil))
	}
	if err := ctx.Err(); err != nil {
		return protocol.ErrorResult(i.fail(protocol.KindTimeout, inv, "", err))
	}
	exporters := *i.proto.exporters.Load()
	e, ok := exporters[i.key]
	if !ok {
		return protocol.ErrorResult(i.fail(protocol.KindNetwork, inv,
			fmt.Sprintf("not found exported service: %s in %v", i.key, slices.Sorted(maps.Keys(exporters))), nil))
	}
	return e.invoker.Invoke(ctx, inv)
}

func (i *invoker) Destroy() {
	if !i.destroyed.Swap(true) {
		i.proto.forget(i)
	}
}

func (i *invoker) fail(kind protocol.Kind, inv protocol.Invocation, msg string, cause error) error {
	return protocol.NewError(kind, i.url.ServiceKey(), inv.MethodName(), i.url.Address(), msg, cause)
}
