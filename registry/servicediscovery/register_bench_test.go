package servicediscovery

import (
	"fmt"
	"io"
	"log/slog"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/protocol/dubbo"
	"github.com/fleetrpc/fleet/protocol/service"
)

// providerURLs are n provider URLs of app on one port, one interface each,
// with the params config registers.
func benchProviderURLs(app string, port, n int) []*common.URL {
	urls := make([]*common.URL, n)
	for i := range urls {
		iface := fmt.Sprintf("org.fleet.bench.Service%03d", i)
		urls[i] = common.MustParse(fmt.Sprintf("dubbo://127.0.0.1:%d/%s?interface=%s&methods=sayHello,sayBye&side=provider"+
			"&application=%s&anyhost=true&dynamic=true&deprecated=false&generic=false&dubbo=2.0.2&release=fleet"+
			"&pid=4242&timestamp=1700000000000&timeout=3000&retries=2", port, iface, iface, app))
	}
	return urls
}

// The revision of an application exporting 100 services (Java's MD5 over
// every service's description).
func BenchmarkRevision(b *testing.B) {
	md := metadataOf("bench-app", benchProviderURLs("bench-app", 20880, 100))
	b.ReportAllocs()
	for b.Loop() {
		Revision(md.App, md.Services)
	}
}

// Register and Unregister of the 100th service of an application that
// exports 99 (an op is both: two new revisions, two instance node writes
// to ZooKeeper); and the first registration of 100 services, one by one.
func BenchmarkRegister(b *testing.B) {
	e := newEnv(b)
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	p := dubbo.New(dubbo.WithLogger(quiet))
	b.Cleanup(p.Destroy)
	svc, err := service.New(common.MustParse("dubbo://127.0.0.1:0/"+e.iface+"?interface="+e.iface), greeter{})
	require.NoError(b, err)
	exp, err := p.Export(svc)
	require.NoError(b, err)
	b.Cleanup(exp.Unexport)
	port := exp.(interface{ URL() *common.URL }).URL().Port()

	b.Run("add-remove-100th", func(b *testing.B) {
		r := e.open("", WithMetadataProtocol(p))
		defer r.Close() // the function runs more than once
		urls := benchProviderURLs(e.app, port, 100)
		for _, u := range urls[:99] {
			require.NoError(b, r.Register(ctx, u))
		}
		b.ReportAllocs()
		b.ResetTimer()
		for b.Loop() {
			require.NoError(b, r.Register(ctx, urls[99]))
			require.NoError(b, r.Unregister(ctx, urls[99]))
		}
	})
	b.Run("register-100", func(b *testing.B) {
		urls := benchProviderURLs(e.app+"-all", port, 100)
		b.ReportAllocs()
		for b.Loop() {
			b.StopTimer()
			r := e.open("", WithMetadataProtocol(p))
			b.StartTimer()
			for _, u := range urls {
				require.NoError(b, r.Register(ctx, u))
			}
			b.StopTimer()
			require.NoError(b, r.Close())
			b.StartTimer()
		}
	})
}
