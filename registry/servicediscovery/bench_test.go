package servicediscovery

import (
	"encoding/json"
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/stretchr/testify/require"
)

// putInstances writes n instances of app (ports from 40000) spread over
// the revisions, in batches, as Curator writes them.
func (e *env) putInstances(app string, n int, revisions []string, msPort int) {
	e.Put(e.Services+"/"+app+"/seed", nil)
	e.Delete(e.Services + "/" + app + "/seed")
	var ops []any
	flush := func() {
		if len(ops) == 0 {
			return
		}
		_, err := e.Conn.Multi(ops...)
		require.NoError(e.t, err)
		ops = ops[:0]
	}
	for i := 0; i < n; i++ {
		port := 40000 + i%20000
		host := fmt.Sprintf("127.0.%d.1", i/20000)
		id := fmt.Sprintf("%s:%d", host, port)
		doc := map[string]any{
			"name": app, "id": id, "address": host, "port": port,
			"payload": map[string]any{"@class": "org.apache.dubbo.registry.zookeeper.ZookeeperInstance", "id": id, "name": app,
				"metadata": map[string]string{
					RevisionKey:              revisions[i%len(revisions)],
					EndpointsKey:             fmt.Sprintf(`[{"port":%d,"protocol":"dubbo"}]`, port),
					MetadataServiceParamsKey: fmt.Sprintf(`{"version":"1.0.0","port":"%d","protocol":"dubbo"}`, msPort),
				}},
			"serviceType": "DYNAMIC",
		}
		bs, err := json.Marshal(doc)
		require.NoError(e.t, err)
		ops = append(ops, &zk.CreateRequest{Path: e.Services + "/" + app + "/" + id, Data: bs, Acl: zk.WorldACL(zk.PermAll)})
		if len(ops) == 500 {
			flush()
		}
	}
	flush()
}

// 10,000 instances of one application sharing 3 revisions: the time from
// opening the registry to the first notification (Subscribe returns after
// it), the metadata calls made, the heap held per instance, and the time
// from one more instance node to the notification listing it (change-ms,
// outside ns/op).
// The instances are loopback addresses; the first of each revision
// answers getMetadataInfo.
func BenchmarkFirstNotify10kInstances3Revisions(b *testing.B) {
	const n = 10000
	e := newEnv(b)
	ms := &metadataService{}
	revs := []string{"ra", "rb", "rc"}
	for _, r := range revs {
		ms.set(e.metadata(e.app, r, map[string]string{"methods": "sayHello", "timeout": "3000", "application": e.app}))
	}
	msPort := exportMetadataService(b, e.app, ms)
	e.mapping(e.app)
	e.putInstances(e.app, n, revs, msPort)

	b.ReportAllocs()
	b.ResetTimer()
	var heapPerInstance, changeMs float64
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		before := ms.calls.Load()
		runtime.GC()
		var m0, m1 runtime.MemStats
		runtime.ReadMemStats(&m0)
		b.StartTimer()

		r := e.open("")
		rec := &recorder{}
		require.NoError(b, r.Subscribe(ctx, e.consumer(""), rec))

		b.StopTimer()
		runtime.GC()
		runtime.ReadMemStats(&m1)
		heapPerInstance = float64(int64(m1.HeapAlloc)-int64(m0.HeapAlloc)) / n
		if got := len(rec.last()); got != n {
			b.Fatalf("notified %d providers, want %d", got, n)
		}
		if calls := ms.calls.Load() - before; calls != int64(len(revs)) {
			b.Fatalf("%d metadata calls, want %d", calls, len(revs))
		}
		runtime.KeepAlive(rec)

		// One instance more (a cached revision): the time to its notification.
		start := time.Now()
		p := e.instance(e.app, 39999, revs[0], msPort)
		for deadline := time.Now().Add(30 * time.Second); len(rec.last()) != n+1; time.Sleep(time.Millisecond) {
			if time.Now().After(deadline) {
				b.Fatal("the added instance was not notified within 30 s")
			}
		}
		changeMs += float64(time.Since(start).Microseconds()) / 1000
		e.Delete(p)
		require.NoError(b, r.Close())
		b.StartTimer()
	}
	b.StopTimer()
	b.ReportMetric(float64(len(revs)), "metadata-calls/op")
	b.ReportMetric(heapPerInstance, "heap-B/instance")
	b.ReportMetric(changeMs/float64(b.N), "change-ms")
}
