package protocol

import (
	"context"
	"fmt"
	"reflect"
	"sync"

	"github.com/fleetrpc/fleet/common"
	rpc "github.com/fleetrpc/fleet/protocol"
	"github.com/fleetrpc/fleet/registry"
)

// Export exports invoker through the protocol of its URL (a WithProtocol
// value, else the one registered under that name) and registers the
// provider URL in the registry regURL names: the URL carried by regURL's
// export= param when there is one, else invoker.URL(), without its local
// params (bind.ip, bind.port, qos.*, monitor, …) and hidden ones (keys
// starting with '.'). With register=false on the registry URL nothing is
// registered. Unexport unregisters the URL,
// then unexports.
func (p *Protocol) Export(ctx context.Context, regURL *common.URL, invoker rpc.Invoker) (rpc.Exporter, error) {
	regURL = registryURL(regURL)
	shown := displayURL(regURL)
	provider, err := regURL.ExportURL()
	if err != nil {
		return nil, fmt.Errorf("export through %s: %w", shown, err)
	}
	if provider == nil {
		provider = invoker.URL()
	}
	key := provider.ServiceKey()
	pr := p.opts.protocols[provider.Protocol()]
	if pr == nil {
		if pr, err = rpc.Get(provider.Protocol()); err != nil {
			return nil, fmt.Errorf("export %s through %s: %w", key, shown, err)
		}
	}
	reg, err := p.registry(regURL)
	if err != nil {
		return nil, fmt.Errorf("export %s through %s: %w", key, shown, err)
	}
	local, err := p.exportLocal(pr, provider, invoker)
	if err != nil {
		return nil, fmt.Errorf("export %s at %s: %w", key, provider.Address(), err)
	}
	register := regURL.ParamBool(common.RegisterKey, true)
	provider = urlToRegister(provider)
	if register {
		if err := reg.Register(ctx, provider); err != nil {
			local.Unexport()
			return nil, fmt.Errorf("export %s: register in %s: %w", key, shown, err)
		}
	}
	e := &exporter{proto: p, local: local, reg: reg, url: provider, registered: register}
	if cc := p.configCenter(regURL); cc != nil && register {
		e.gov = p.governExport(cc, reg, provider) // governance_export.go
	}
	p.mu.Lock()
	destroyed := p.destroyed
	if !destroyed {
		p.exports[e] = struct{}{}
	}
	p.mu.Unlock()
	if destroyed {
		e.Unexport()
		return nil, fmt.Errorf("export %s through %s: %w", key, shown, ErrDestroyed)
	}
	return e, nil
}

// unregisteredKeys are provider params that stay local: where the server
// binds, its QoS port, its monitor (Java's RegistryProtocol leaves them
// out of the registered URL).
var unregisteredKeys = []string{
	common.MonitorKey, "bind.ip", "bind.port", "qos.enable", "qos.host", "qos.port",
	"qos.accept.foreign.ip", "validation", "interfaces",
}

// urlToRegister is the provider URL without its local params and without
// hidden ones (keys starting with '.').
func urlToRegister(u *common.URL) *common.URL {
	drop := unregisteredKeys
	u.RangeParams(func(k, _ string) bool {
		if len(k) > 0 && k[0] == '.' {
			drop = append(drop[:len(drop):len(drop)], k)
		}
		return true
	})
	return u.WithoutParams(drop...)
}

// exporter is an export through a registry.
type exporter struct {
	proto      *Protocol         // immutable
	local      rpc.Exporter      // immutable
	reg        registry.Registry // immutable
	url        *common.URL       // the registered provider URL; immutable
	registered bool              // immutable
	gov        *exportGovernance // the override listener; nil without a config center; immutable
	once       sync.Once
}

// Invoker implements protocol.Exporter.
func (e *exporter) Invoker() rpc.Invoker { return e.local.Invoker() }

// Unexport implements protocol.Exporter: unregister, then unexport.
// Registry errors are logged. Idempotent.
func (e *exporter) Unexport() {
	e.once.Do(func() {
		url := e.url
		if e.gov != nil {
			url = e.gov.close() // the URL registered now
		}
		if e.registered {
			ctx, cancel := context.WithTimeout(context.Background(), e.proto.opts.timeout)
			if err := e.reg.Unregister(ctx, url); err != nil {
				e.proto.logger.Warn("unregister provider failed", "url", url, "error", err)
			}
			cancel()
		}
		e.local.Unexport()
		e.proto.mu.Lock()
		delete(e.proto.exports, e)
		e.proto.mu.Unlock()
	})
}

// localExport is an invoker exported by its protocol, shared by the
// exports of it through several registries (Java's RegistryProtocol keeps
// one per provider URL: register-mode all registers one service at both
// discovery levels).
type localExport struct {
	exp     rpc.Exporter
	invoker rpc.Invoker
	refs    int // guarded by Protocol.localMu
}

// exportLocal exports invoker through pr, or shares the export of the same
// invoker at the same protocol, address and service key.
func (p *Protocol) exportLocal(pr rpc.Protocol, provider *common.URL, invoker rpc.Invoker) (rpc.Exporter, error) {
	key := provider.Protocol() + "://" + provider.Address() + "/" + provider.ServiceKey()
	p.localMu.Lock()
	defer p.localMu.Unlock()
	if l := p.locals[key]; l != nil && sameInvoker(l.invoker, invoker) {
		l.refs++
		return &sharedExport{p: p, key: key, l: l}, nil
	}
	exp, err := pr.Export(invoker)
	if err != nil {
		return nil, err
	}
	if p.locals == nil {
		p.locals = map[string]*localExport{}
	}
	l := &localExport{exp: exp, invoker: invoker, refs: 1}
	if p.locals[key] == nil {
		p.locals[key] = l
	}
	return &sharedExport{p: p, key: key, l: l}, nil
}

// sameInvoker reports whether a and b are the same invoker value.
func sameInvoker(a, b rpc.Invoker) bool {
	if a == nil || b == nil || !reflect.TypeOf(a).Comparable() || !reflect.TypeOf(b).Comparable() {
		return false
	}
	return a == b
}

// sharedExport is one user of a localExport: the last Unexport unexports.
type sharedExport struct {
	p    *Protocol
	key  string
	l    *localExport
	once sync.Once
}

// Invoker implements protocol.Exporter.
func (s *sharedExport) Invoker() rpc.Invoker { return s.l.exp.Invoker() }

// Unexport implements protocol.Exporter. Idempotent.
func (s *sharedExport) Unexport() {
	s.once.Do(func() {
		s.p.localMu.Lock()
		s.l.refs--
		last := s.l.refs == 0
		if last && s.p.locals[s.key] == s.l {
			delete(s.p.locals, s.key)
		}
		s.p.localMu.Unlock()
		if last {
			s.l.exp.Unexport()
		}
	})
}
