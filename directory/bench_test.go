package directory

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/internal/testutil"
	"github.com/fleetrpc/fleet/protocol"
	"github.com/fleetrpc/fleet/router"
	_ "github.com/fleetrpc/fleet/router/condition" // route://…?router=condition
	"github.com/fleetrpc/fleet/router/tag"
)

// benchProtocol refers without bookkeeping, as a lazy wire protocol does.
type benchProtocol struct{}

func (benchProtocol) Refer(u *common.URL) (protocol.Invoker, error) {
	return &benchInvoker{url: u}, nil
}
func (benchProtocol) Export(protocol.Invoker) (protocol.Exporter, error) {
	return nil, fmt.Errorf("not supported")
}
func (benchProtocol) Destroy() {}

type benchInvoker struct{ url *common.URL }

func (b *benchInvoker) URL() *common.URL  { return b.url }
func (b *benchInvoker) IsAvailable() bool { return true }
func (b *benchInvoker) Destroy()          {}
func (b *benchInvoker) Invoke(context.Context, protocol.Invocation) protocol.Result {
	return protocol.NewResult(nil, nil)
}

// javaProvider is a provider URL as Java Dubbo 2.7.23 registers it
// (../shared/reference captures), at address number i.
func javaProvider(i int) *common.URL {
	return common.MustParse(fmt.Sprintf("dubbo://10.%d.%d.%d:20880/%s?anyhost=true&application=demo-provider"+
		"&deprecated=false&dubbo=2.0.2&dynamic=true&generic=false&interface=%s&logger=jdk"+
		"&methods=sayHello,sayHelloAsync&pid=%d&release=2.7.23&revision=demo&serialization=hessian2"+
		"&service.name=ServiceBean:/%s&side=provider&timestamp=%d&threads=200",
		(i>>16)&255, (i>>8)&255, i&255, svc, svc, 10000+i%50000, svc, 1795290108925+int64(i)))
}

func javaProviders(from, n int) []*common.URL {
	out := make([]*common.URL, n)
	for i := range out {
		out[i] = javaProvider(from + i)
	}
	return out
}

func benchConsumer() *common.URL {
	return common.MustParse("dubbo://10.255.0.9/" + svc + "?application=demo-consumer&check=false&dubbo=2.0.2" +
		"&interface=" + svc + "&methods=sayHello,sayHelloAsync&pid=4242&register.ip=10.255.0.9&release=2.7.23" +
		"&side=consumer&sticky=false&timeout=3000&retries=2")
}

func benchDir(b *testing.B) *RegistryDirectory {
	d, err := NewRegistry(benchConsumer(), WithProtocol("dubbo", benchProtocol{}), WithLogger(quiet))
	if err != nil {
		b.Fatal(err)
	}
	return d
}

// minorFaults is the number of minor page faults the process has taken:
// a fresh page's first touch.
func minorFaults() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return ru.Minflt
}

// BenchmarkNotifyFull is one full providers list into an empty directory.
func BenchmarkNotifyFull(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			list := javaProviders(0, n)
			var cpu time.Duration
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				d := benchDir(b)
				b.StartTimer()
				c0 := testutil.ProcessCPU()
				d.Notify(list)
				cpu += testutil.ProcessCPU() - c0
				b.StopTimer()
				d.Destroy()
				b.StartTimer()
			}
			b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/op")
		})
	}
}

// BenchmarkNotifyChurn is a full list of 10,000 providers of which 1%
// changed since the last one (100 leave, 100 join).
func BenchmarkNotifyChurn(b *testing.B) { benchChurn(b) }

// BenchmarkNotifyChurnWithRouters is BenchmarkNotifyChurn with two
// condition rules in force: each snapshot's chain is built from the last
// one's, compiling only the providers that joined.
func BenchmarkNotifyChurnWithRouters(b *testing.B) {
	benchChurn(b, routeRule("method = sayHello => host != 10.0.0.3", 1), routeRule("=> host != 10.0.0.4", 2))
}

// benchChurn notifies, in turn, two lists of 10,000 providers that differ
// in 1%, into a directory holding rules.
func benchChurn(b *testing.B, rules ...*common.URL) {
	const n, churn = 10000, 100
	base := javaProviders(0, n-churn)
	a := append(append([]*common.URL(nil), base...), javaProviders(n, churn)...)
	c := append(append([]*common.URL(nil), base...), javaProviders(2*n, churn)...)
	d := benchDir(b)
	defer d.Destroy()
	if len(rules) > 0 {
		d.Notify(rules)
	}
	d.Notify(a)
	d.Notify(c)
	runtime.GC() // the set-up's garbage is not the ops' cost
	b.ReportAllocs()
	b.ResetTimer()
	c0, f0 := testutil.ProcessCPU(), minorFaults()
	for i := 0; i < b.N; i++ {
		if i%2 == 0 {
			d.Notify(a)
		} else {
			d.Notify(c)
		}
	}
	b.ReportMetric(float64((testutil.ProcessCPU()-c0).Nanoseconds())/float64(b.N), "cpu-ns/op")
	b.ReportMetric(float64(minorFaults()-f0)/float64(b.N), "faults/op")
}

func routeRule(r string, priority int) *common.URL {
	return common.MustParse(fmt.Sprintf("route://0.0.0.0/%s?category=routers&router=condition&force=true&priority=%d&rule=%s",
		svc, priority, common.Encode(r)))
}

// BenchmarkList is List on the call path, no router.
func BenchmarkList(b *testing.B) {
	for _, n := range []int{10, 1000, 10000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			d := benchDir(b)
			defer d.Destroy()
			d.Notify(javaProviders(0, n))
			inv := protocol.NewInvocation("sayHello", "world")
			ctx := context.Background()
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				list, err := d.List(ctx, inv)
				if err != nil || len(list) != n {
					b.Fatal(len(list), err)
				}
			}
		})
	}
}

// BenchmarkListWithRouters is List through two condition rules pushed by
// the registry (one reading the call's method, one only the providers).
func BenchmarkListWithRouters(b *testing.B) {
	rule := routeRule
	for _, n := range []int{10, 1000, 10000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			d := benchDir(b)
			defer d.Destroy()
			d.Notify(javaProviders(0, n))
			d.Notify(urls(rule("method = sayHello => host != 10.0.0.3", 1), rule("=> host != 10.0.0.4", 2)))
			inv := protocol.NewInvocation("sayHello", "world")
			ctx := context.Background()
			if list, _ := d.List(ctx, inv); len(list) != n-2 {
				b.Fatalf("routed to %d of %d", len(list), n)
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				_, _ = d.List(ctx, inv)
			}
		})
	}
}

// BenchmarkRetainedPerProvider reports the heap a directory keeps per
// provider after a full notify of 10,000 (live heap after GC, before and
// after). B/provider is the directory's own cost (merged URL, invoker,
// entries, maps, snapshot): the provider URLs as notified are allocated
// before the first measurement, since the registry holds them anyway.
// B/provider-with-urls counts the notified URLs too.
func BenchmarkRetainedPerProvider(b *testing.B) {
	const n = 10000
	var own, withURLs float64
	for i := 0; i < b.N; i++ {
		var m0, m1, m2 runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&m0)
		list := javaProviders(0, n)
		runtime.GC()
		runtime.ReadMemStats(&m1)
		d := benchDir(b)
		d.Notify(list)
		runtime.GC()
		runtime.ReadMemStats(&m2)
		own = float64(int64(m2.HeapAlloc)-int64(m1.HeapAlloc)) / n
		withURLs = float64(int64(m2.HeapAlloc)-int64(m0.HeapAlloc)) / n
		runtime.KeepAlive(list)
		runtime.KeepAlive(d)
		d.Destroy()
	}
	b.ReportMetric(own, "B/provider")
	b.ReportMetric(withURLs, "B/provider-with-urls")
	b.ReportMetric(0, "ns/op")
}

// BenchmarkNotifyOneAdded is applying one added provider at 100,000 (issue
// 17's target: ≤ 5 ms): lists of 100,000 and 100,001 providers in turn, so
// each op is one provider joining or leaving.
func BenchmarkNotifyOneAdded(b *testing.B) {
	b.Run("routers=none", func(b *testing.B) { benchOneAdded(b, benchDir(b)) })
	b.Run("routers=mock,tag", func(b *testing.B) {
		// The built-in routers registry/protocol gives every directory.
		d, err := NewRegistry(benchConsumer(), WithProtocol("dubbo", benchProtocol{}), WithLogger(quiet),
			WithRouters(router.Mock(), tag.Static()))
		if err != nil {
			b.Fatal(err)
		}
		benchOneAdded(b, d)
	})
	b.Run("routers=mock,tag/methods=2", func(b *testing.B) {
		// Two method lists (every tenth provider has one more method, as
		// in a rolling upgrade): the directory keeps a list for it.
		d, err := NewRegistry(benchConsumer(), WithProtocol("dubbo", benchProtocol{}), WithLogger(quiet),
			WithRouters(router.Mock(), tag.Static()))
		if err != nil {
			b.Fatal(err)
		}
		benchOneAdded(b, d, func(i int, u *common.URL) *common.URL {
			if i%10 == 0 {
				return u.WithParam(common.MethodsKey, "sayHello,sayHelloAsync,sayBye")
			}
			return u
		})
	})
}

// benchOneAdded: edit, when given, changes provider i's URL.
func benchOneAdded(b *testing.B, d *RegistryDirectory, edit ...func(i int, u *common.URL) *common.URL) {
	const n = 100000
	a := javaProviders(0, n)
	c := append(slices.Clip(a), javaProvider(n))
	for _, e := range edit {
		for i := range c {
			c[i] = e(i, c[i])
		}
	}
	a = c[:n:n]
	defer d.Destroy()
	d.Notify(a)
	d.Notify(c)
	runtime.GC() // the set-up's garbage is not the ops' cost
	b.ReportAllocs()
	b.ResetTimer()
	c0, f0 := testutil.ProcessCPU(), minorFaults()
	for i := 0; i < b.N; i++ {
		if i%2 == 0 {
			d.Notify(a)
		} else {
			d.Notify(c)
		}
	}
	b.ReportMetric(float64((testutil.ProcessCPU()-c0).Nanoseconds())/float64(b.N), "cpu-ns/op")
	b.ReportMetric(float64(minorFaults()-f0)/float64(b.N), "faults/op")
}
