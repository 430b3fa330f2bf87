package cluster

import (
	"context"
	"strings"

	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/directory"
	"github.com/fleetrpc/fleet/protocol"
)

// MockFunc is a mock written in Go: what a degraded call returns, in place
// of Java's mock class (mock=true, mock=force, mock=fail). A returned error
// that is not a *protocol.Error is the call's business error.
type MockFunc func(ctx context.Context, inv protocol.Invocation) (any, error)

// Mock wraps a strategy with Dubbo's service degradation (Java's
// MockClusterWrapper and MockClusterInvoker): the invoker Join returns
// reads the mock param of the directory's URL (per method: <method>.mock,
// else mock) at each call:
//
//	(absent), false           the call goes through the strategy
//	force:return <value>      the call is not made; the mock answers
//	force:throw [<Class>]     the call is not made; the mock fails
//	fail:return <value>, return <value>, throw …, true, …
//	                          the call goes through the strategy, and the
//	                          mock answers only when it failed with an RPC
//	                          error (never a business error)
//
// The mock is, in order: the first mock:// provider the directory lists for
// the call with the attachment invocation.need.mock=true (the mock router
// sends it there), else the mock param itself (MockResult). Values: null,
// empty, true, false, a quoted string, a number, JSON ({…} or […]), other
// text as a string; converted to the call's result type when the caller
// gave it (WithResultType). throw fails the call with an RPC error; throw
// <JavaExceptionClass> with a business error carrying a *MockException.
// true, default, fail and force call Func.
type Mock struct {
	// Cluster is the strategy wrapped; nil means failover.
	Cluster Cluster
	// Func is the Go mock, nil when there is none.
	Func MockFunc
}

// Join implements Cluster.
func (m *Mock) Join(dir directory.Directory) protocol.Invoker {
	c := m.Cluster
	if c == nil {
		c = &Failover{}
	}
	mi := &mockInvoker{inner: c.Join(dir), dir: dir, fn: m.Func}
	if b, ok := mi.inner.(interface{ baseOf() *base }); ok {
		return mockOverBase{mi, b.baseOf()} // Outliers still sees the strategy
	}
	return mi
}

// mockOverBase is a mockInvoker over one of this package's strategies.
type mockOverBase struct {
	*mockInvoker
	b *base
}

func (m mockOverBase) baseOf() *base { return m.b }

// mockInvoker is Java's MockClusterInvoker.
type mockInvoker struct {
	inner protocol.Invoker    // immutable
	dir   directory.Directory // immutable
	fn    MockFunc            // immutable, may be nil
}

func (m *mockInvoker) URL() *common.URL  { return m.inner.URL() }
func (m *mockInvoker) IsAvailable() bool { return m.inner.IsAvailable() }
func (m *mockInvoker) Destroy()          { m.inner.Destroy() }

// Invoke implements protocol.Invoker. Without a mock param it costs one
// parameter lookup.
func (m *mockInvoker) Invoke(ctx context.Context, inv protocol.Invocation) protocol.Result {
	spec := strings.TrimSpace(m.dir.URL().MethodParamOr(protocol.RealMethodName(inv), common.MockKey, ""))
	switch {
	case spec == "" || strings.EqualFold(spec, "false"):
		return m.inner.Invoke(ctx, inv)
	case strings.HasPrefix(spec, "force"):
		return m.mock(ctx, inv, nil)
	}
	res := m.inner.Invoke(ctx, inv)
	if err := res.Error(); err != nil && !protocol.IsBusiness(err) {
		return m.mock(ctx, inv, err)
	}
	return res
}

// mock answers a degraded call: a mock:// provider when the directory
// lists one, else the mock param. cause is the call's failure (nil when
// forced).
func (m *mockInvoker) mock(ctx context.Context, inv protocol.Invocation, cause error) protocol.Result {
	var res protocol.Result
	need := protocol.AddAttachmentsIfAbsent(inv, []protocol.Attachment{{Key: common.NeedMockKey, Value: "true"}})
	if p := firstMock(m.dir, ctx, need); p != nil {
		res = p.Invoke(ctx, need)
	} else {
		res = MockResult(ctx, m.dir.URL(), inv, m.fn)
	}
	err := res.Error()
	if err == nil || protocol.IsBusiness(err) {
		return res
	}
	msg := "mock error : " + err.Error()
	if cause != nil {
		msg += ", invoke error is :" + cause.Error()
	}
	return protocol.ErrorResult(protocol.NewError(protocol.KindOf(err), m.dir.URL().ServiceKey(),
		protocol.RealMethodName(inv), "", msg, err))
}

// firstMock is the first mock:// provider dir lists for inv (which
// carries invocation.need.mock=true), nil when there is none. Without a
// mock router in the directory's chain, the other providers are skipped
// here.
func firstMock(dir directory.Directory, ctx context.Context, inv protocol.Invocation) protocol.Invoker {
	list, err := dir.List(ctx, inv)
	if err != nil {
		return nil
	}
	for _, p := range list {
		if u := p.URL(); u != nil && u.Protocol() == common.MockProtocol {
			return p
		}
	}
	return nil
}

// MockProtocolName is the protocol of mock provider URLs
// (mock://host/Service?mock=return+null), which the directory refers
// through MockProtocol.
const MockProtocolName = common.MockProtocol

func init() { protocol.Register(MockProtocolName, MockProtocol{}) }

// MockProtocol refers mock:// provider URLs (Java's MockProtocol): each
// invoker answers every call with its URL's mock param (MockResult).
type MockProtocol struct{}

// Refer implements protocol.Protocol.
func (MockProtocol) Refer(u *common.URL) (protocol.Invoker, error) { return mockProvider{u}, nil }

// Export implements protocol.Protocol: mock providers are not exported.
func (MockProtocol) Export(protocol.Invoker) (protocol.Exporter, error) {
	return nil, errMockExport
}

// Destroy implements protocol.Protocol.
func (MockProtocol) Destroy() {}

type mockProvider struct{ url *common.URL }

func (p mockProvider) URL() *common.URL  { return p.url }
func (p mockProvider) IsAvailable() bool { return true }
func (p mockProvider) Destroy()          {}
func (p mockProvider) Invoke(ctx context.Context, inv protocol.Invocation) protocol.Result {
	return MockResult(ctx, p.url, inv, nil)
}
