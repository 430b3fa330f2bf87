package dubbo

import (
	"context"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/protocol"
)

func benchRequest() *Request {
	return &Request{ID: 1, TwoWay: true, Path: "org.apache.dubbo.demo.DemoService", Method: "sayHello",
		Desc: "Ljava/lang/String;", Args: []any{"world"}, Attachments: []protocol.Attachment{
			{Key: "path", Value: "org.apache.dubbo.demo.DemoService"},
			{Key: "remote.application", Value: "interop-java-consumer"},
			{Key: "interface", Value: "org.apache.dubbo.demo.DemoService"},
			{Key: "version", Value: "0.0.0"},
			{Key: "timeout", Value: "1000"},
		}}
}

func BenchmarkEncodeRequest(b *testing.B) {
	req := benchRequest()
	buf := make([]byte, 0, 512)
	b.ReportAllocs()
	for b.Loop() {
		var err error
		if buf, err = EncodeRequest(buf[:0], req, DefaultPayload, "bench"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeRequest(b *testing.B) {
	frame, err := EncodeRequest(nil, benchRequest(), 0, "")
	if err != nil {
		b.Fatal(err)
	}
	h, _ := ParseHeader(frame)
	b.ReportAllocs()
	var r Request
	for b.Loop() {
		if err := DecodeRequestBody(h, frame[HeaderLen:], &r); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEncodeResponse(b *testing.B) {
	for _, c := range []struct {
		name  string
		value any
	}{{"string", "Hello world"}, {"User", user(7)}} {
		b.Run(c.name, func(b *testing.B) {
			resp := &Response{ID: 1, Status: StatusOK, Value: c.value}
			buf := make([]byte, 0, 512)
			b.ReportAllocs()
			for b.Loop() {
				var err error
				if buf, err = EncodeResponse(buf[:0], resp, true, DefaultPayload, "bench"); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkDecodeResponse(b *testing.B) {
	for _, c := range []struct {
		name  string
		value any
	}{{"string", "Hello world"}, {"User", user(7)}} {
		b.Run(c.name, func(b *testing.B) {
			frame, err := EncodeResponse(nil, &Response{ID: 1, Status: StatusOK, Value: c.value}, true, 0, "")
			if err != nil {
				b.Fatal(err)
			}
			h, _ := ParseHeader(frame)
			b.ReportAllocs()
			var r Response
			for b.Loop() {
				if err := DecodeResponseBody(h, frame[HeaderLen:], &r); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

type helloImpl struct{}

func (helloImpl) SayHello(name string) (string, error) { return "Hello " + name, nil }

// BenchmarkLoopback measures fleet → fleet calls over loopback TCP with 1,
// 32 and 128 concurrent callers on one shared connection: calls/s, and the
// p50 and p99 latency of a call.
func BenchmarkLoopback(b *testing.B) {
	server, client := newProto(b), newProto(b)
	u := exportImpl(b, server, common.MustParse("dubbo://127.0.0.1:0/org.apache.dubbo.demo.DemoService?timeout=5000"), helloImpl{}).URL()
	inv := refer(b, client, u)
	inv0 := protocol.NewInvocation("sayHello", "world").WithParameterTypes("java.lang.String")
	if res := inv.Invoke(context.Background(), inv0); res.Error() != nil {
		b.Fatal(res.Error())
	}
	for _, callers := range []int{1, 32, 128} {
		b.Run("callers="+strconv.Itoa(callers), func(b *testing.B) {
			runCallers(b, callers, func() error { return inv.Invoke(context.Background(), inv0).Error() })
		})
	}
}

// runCallers makes b.N calls from callers goroutines and reports calls/s,
// p50, p99 and the process CPU time per call (consumer and provider).
func runCallers(b *testing.B, callers int, call func() error) {
	b.ReportAllocs()
	var next atomic.Int64
	lat := make([][]time.Duration, callers)
	var wg sync.WaitGroup
	var failed atomic.Value
	b.ResetTimer()
	cpu0 := processCPU()
	start := time.Now()
	for g := range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			mine := make([]time.Duration, 0, b.N/callers+1)
			for next.Add(1) <= int64(b.N) {
				t0 := time.Now()
				if err := call(); err != nil {
					failed.Store(err)
					return
				}
				mine = append(mine, time.Since(t0))
			}
			lat[g] = mine
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	cpu := processCPU() - cpu0
	b.StopTimer()
	if err, _ := failed.Load().(error); err != nil {
		b.Fatal(err)
	}
	var all []time.Duration
	for _, l := range lat {
		all = append(all, l...)
	}
	sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "calls/s")
	b.ReportMetric(float64(all[len(all)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(all[len(all)*99/100].Microseconds()), "p99-µs")
	b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "cpu-µs/call")
}

// processCPU returns the CPU time (user and system) the process used so
// far: both ends of a loopback call, and the runtime's own work.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
