package nacos

import (
	"io"
	"log/slog"
	"strconv"
	"testing"

	"github.com/nacos-group/nacos-sdk-go/v2/model"

	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/registry"
)

// javaInstances is n instances as Java Dubbo 2.7 registers a provider of
// com.foo.BarService.
func javaInstances(n int, timestamp string) []model.Instance {
	out := make([]model.Instance, n)
	for i := range out {
		out[i] = model.Instance{
			Ip: "10.0." + strconv.Itoa(i/250) + "." + strconv.Itoa(i%250+1), Port: 20880,
			Weight: 1, Enable: true, Healthy: true, Ephemeral: true, ClusterName: "DEFAULT",
			Metadata: map[string]string{
				"anyhost": "true", "application": "bar-provider", "category": "providers", "deprecated": "false",
				"dubbo": "2.0.2", "dynamic": "true", "generic": "false", "interface": "com.foo.BarService",
				"methods": "find,list,save", "path": "com.foo.BarService", "pid": strconv.Itoa(1000 + i),
				"protocol": "dubbo", "release": "2.7.23", "side": "provider", "timestamp": timestamp,
				"internal-nacos-cluster": "DEFAULT",
			},
		}
	}
	return out
}

// benchSubscription is a subscription of com.foo.BarService ready to
// deliver, with one source, notifying a listener that does nothing.
func benchSubscription() (*subscription, *source) {
	r := &Registry{log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	url := common.MustParse("consumer://10.1.1.1/com.foo.BarService?application=c&category=providers,configurators,routers&interface=com.foo.BarService&side=consumer")
	g := &group{category: common.ProvidersCategory, svc: url}
	src := &source{name: "providers:com.foo.BarService::", g: g}
	g.sources = []*source{src}
	s := &subscription{r: r, url: url, listener: registry.NotifyFunc(func([]*common.URL) {}), concrete: true, ready: true,
		sources: map[string]*source{src.name: src}, groups: map[string]*group{common.ProvidersCategory: g}}
	return s, src
}

// BenchmarkPush is the registry's cost of one push of a service with n
// instances, from the SDK's model.Service to the listener's full list:
// "all-new" into a fresh subscription (every URL built), "one-changed"
// where one instance's metadata differs from the last push.
func BenchmarkPush(b *testing.B) {
	for _, n := range []int{10, 1000} {
		first := model.Service{Hosts: javaInstances(n, "1700000000000")}
		b.Run("instances="+strconv.Itoa(n)+"/all-new", func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				s, src := benchSubscription()
				s.update(src, first)
			}
		})
		b.Run("instances="+strconv.Itoa(n)+"/one-changed", func(b *testing.B) {
			second := model.Service{Hosts: javaInstances(n, "1700000000000")}
			second.Hosts[n/2].Metadata["timestamp"] = "1700000000001"
			s, src := benchSubscription()
			s.update(src, first)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if i%2 == 0 {
					s.update(src, second)
				} else {
					s.update(src, first)
				}
			}
		})
	}
}
