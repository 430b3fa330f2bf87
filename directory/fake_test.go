package directory

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/protocol"
)

// fakeProtocol counts refers and destroys and remembers the URLs referred.
type fakeProtocol struct {
	mu        sync.Mutex
	referred  []string // URL strings, in order
	destroyed []string
	refuse    map[string]bool // addresses whose refer fails
	onDestroy func(*fakeInvoker)
}

func (p *fakeProtocol) Refer(u *common.URL) (protocol.Invoker, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.refuse[u.Address()] {
		return nil, errors.New("refused")
	}
	p.referred = append(p.referred, u.String())
	inv := &fakeInvoker{url: u, proto: p}
	inv.available.Store(true)
	return inv, nil
}

func (p *fakeProtocol) Export(protocol.Invoker) (protocol.Exporter, error) {
	return nil, errors.New("not supported")
}

func (p *fakeProtocol) Destroy() {}

func (p *fakeProtocol) counts() (refers, destroys int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.referred), len(p.destroyed)
}

func (p *fakeProtocol) reset() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.referred, p.destroyed = nil, nil
}

type fakeInvoker struct {
	url       *common.URL
	proto     *fakeProtocol
	available atomic.Bool
	destroyed atomic.Int32
}

func (f *fakeInvoker) URL() *common.URL  { return f.url }
func (f *fakeInvoker) IsAvailable() bool { return f.available.Load() && f.destroyed.Load() == 0 }
func (f *fakeInvoker) Invoke(context.Context, protocol.Invocation) protocol.Result {
	return protocol.NewResult(f.url.Address(), nil)
}

func (f *fakeInvoker) Destroy() {
	if f.destroyed.Add(1) != 1 {
		return
	}
	if f.proto.onDestroy != nil {
		f.proto.onDestroy(f)
	}
	f.proto.mu.Lock()
	f.proto.destroyed = append(f.proto.destroyed, f.url.String())
	f.proto.mu.Unlock()
}

const svc = "org.apache.dubbo.demo.DemoService"

var (
	bg    = context.Background()
	quiet = slog.New(slog.DiscardHandler)
)

func consumerURL(extra string) *common.URL {
	return common.MustParse("dubbo://10.0.0.9/" + svc + "?interface=" + svc + "&side=consumer&application=c" + extra)
}

func newDir(t testing.TB, p *fakeProtocol, extra string, opts ...Option) *RegistryDirectory {
	t.Helper()
	opts = append([]Option{WithProtocol("dubbo", p), WithProtocol("rest", p), WithLogger(quiet)}, opts...)
	d, err := NewRegistry(consumerURL(extra), opts...)
	require.NoError(t, err)
	t.Cleanup(d.Destroy)
	return d
}

func prov(host string, port int, extra string) *common.URL {
	return common.MustParse("dubbo://" + host + ":" + itoa(port) + "/" + svc + "?interface=" + svc + "&side=provider&application=p&methods=sayHello" + extra)
}

func itoa(i int) string {
	const digits = "0123456789"
	if i == 0 {
		return "0"
	}
	var b []byte
	for ; i > 0; i /= 10 {
		b = append([]byte{digits[i%10]}, b...)
	}
	return string(b)
}

func urls(us ...*common.URL) []*common.URL { return us }

// addrs lists what d lists for method sayHello, by address.
func addrs(t testing.TB, d Directory) []string {
	t.Helper()
	return listAddrs(t, d, protocol.NewInvocation("sayHello", "x"))
}

func listAddrs(t testing.TB, d Directory, inv protocol.Invocation) []string {
	t.Helper()
	list, err := d.List(bg, inv)
	require.NoError(t, err)
	out := make([]string, len(list))
	for i, inv := range list {
		out[i] = inv.URL().Address()
	}
	return out
}

func emptyProviders() *common.URL {
	return common.MustParse("empty://10.0.0.9/" + svc + "?interface=" + svc + "&category=providers")
}

func emptyConfigurators() *common.URL {
	return common.MustParse("empty://10.0.0.9/" + svc + "?interface=" + svc + "&category=configurators")
}

func override(params string) *common.URL {
	return common.MustParse("override://0.0.0.0/" + svc + "?category=configurators&" + params)
}
