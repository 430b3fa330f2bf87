package interop

import (
	"strconv"
	"testing"

	dgcommon "dubbo.apache.org/dubbo-go/v3/common"
	dgnacos "dubbo.apache.org/dubbo-go/v3/registry/nacos"
	"github.com/nacos-group/nacos-sdk-go/v2/model"
)

// nacosInstances is n instances as Java Dubbo 2.7 registers a provider of
// com.foo.BarService (the same as registry/nacos's BenchmarkPush).
func nacosInstances(n int, timestamp string) []model.Instance {
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

// BenchmarkDubboGoNacosPush is dubbo-go v3.3.0's registry cost of one push
// of a service with n instances: its Nacos listener's Callback (the SDK's
// subscribe callback) turning the instances into service events, and the
// events taken by the registry's reader (Next), as its registry does
// before its directory. "all-new" into a fresh listener, "one-changed"
// where one instance's metadata differs from the last push. Compare with
// registry/nacos's BenchmarkPush.
func BenchmarkDubboGoNacosPush(b *testing.B) {
	regURL, err := dgcommon.NewURL("nacos://127.0.0.1:8848")
	if err != nil {
		b.Fatal(err)
	}
	for _, n := range []int{10, 1000} {
		first := nacosInstances(n, "1700000000000")
		b.Run("instances="+strconv.Itoa(n)+"/all-new", func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				l := dgnacos.NewNacosListenerWithServiceName("providers:com.foo.BarService::", regURL, nil)
				l.Callback(first, nil)
				for j := 0; j < n; j++ {
					if _, err := l.Next(); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
		b.Run("instances="+strconv.Itoa(n)+"/one-changed", func(b *testing.B) {
			second := nacosInstances(n, "1700000000000")
			second[n/2].Metadata["timestamp"] = "1700000000001"
			l := dgnacos.NewNacosListenerWithServiceName("providers:com.foo.BarService::", regURL, nil)
			l.Callback(first, nil)
			for j := 0; j < n; j++ {
				if _, err := l.Next(); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if i%2 == 0 {
					l.Callback(second, nil)
				} else {
					l.Callback(first, nil)
				}
				if _, err := l.Next(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
