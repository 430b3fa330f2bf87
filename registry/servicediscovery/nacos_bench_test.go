package servicediscovery

import (
	"fmt"
	"io"
	"log/slog"
	"maps"
	"testing"

	"github.com/nacos-group/nacos-sdk-go/v2/model"
)

// nacosHosts are n hosts of one application as a Nacos server delivers
// them: Dubbo 3's metadata over the revisions, dubbo-go's id and the
// polaris server's internal keys.
func nacosHosts(n int, revisions []string) []model.Instance {
	hosts := make([]model.Instance, n)
	for i := range hosts {
		port := 40000 + i%20000
		host := fmt.Sprintf("127.0.%d.1", i/20000)
		hosts[i] = model.Instance{Ip: host, Port: uint64(port), Weight: 1, Enable: true, Healthy: true, Ephemeral: true,
			Metadata: map[string]string{
				RevisionKey:                   revisions[i%len(revisions)],
				StorageTypeKey:                StorageLocal,
				EndpointsKey:                  fmt.Sprintf(`[{"port":%d,"protocol":"dubbo"}]`, port),
				MetadataServiceParamsKey:      `{"version":"1.0.0","port":"20881","protocol":"dubbo"}`,
				"id":                          fmt.Sprintf("%s:%d", host, port),
				"internal-nacos-service":      "app",
				"internal-nacos-cluster":      "DEFAULT",
				"internal-nacos-clientconnId": "1796503696197_127.0.0.1_37882_127.0.0.1",
			}}
	}
	return hosts
}

// A push of 10,000 instances of one application sharing 3 revisions: the
// first one (every instance parsed), and one where a single instance
// changed (the others keep their *Instance, so their provider URLs are
// reused by the subscription).
func BenchmarkNacosPush10kInstances3Revisions(b *testing.B) {
	const n = 10000
	src := &nacosSource{r: &Registry{log: slog.New(slog.NewTextHandler(io.Discard, nil))}}
	hosts := nacosHosts(n, []string{"r1", "r2", "r3"})
	b.Run("first", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if got := src.toInstances("app", hosts, nil); len(got) != n {
				b.Fatalf("%d instances", len(got))
			}
		}
	})
	b.Run("one-changed", func(b *testing.B) {
		old := src.toInstances("app", hosts, nil)
		next := append([]model.Instance(nil), hosts...)
		next[0].Metadata = maps.Clone(next[0].Metadata)
		next[0].Metadata[RevisionKey] = "r4"
		b.ReportAllocs()
		for b.Loop() {
			got := src.toInstances("app", next, old)
			if len(got) != n || got["127.0.0.1:40001"] != old["127.0.0.1:40001"] {
				b.Fatal("unchanged instance not reused")
			}
		}
	})
}
