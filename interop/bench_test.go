package interop

import (
	"context"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/fleetrpc/fleet/protocol"
)

// BenchmarkLoopback measures calls over loopback TCP in one run, with 1, 32
// and 128 concurrent callers: fleet → fleet, fleet → dubbo-go provider,
// dubbo-go consumer → dubbo-go provider and dubbo-go consumer → fleet
// provider. Consumers and providers share the machine's cores.
func BenchmarkLoopback(b *testing.B) {
	hello := protocol.NewInvocation("Hello", "world").WithParameterTypes("java.lang.String")
	fleetTo := func(addr string) func() error {
		inv := fleetRef(b, addr)
		return func() error { return inv.Invoke(context.Background(), hello).Error() }
	}
	dubboGoTo := func(c *UserClient) func() error {
		return func() error {
			_, err := c.Hello(context.Background(), "world")
			return err
		}
	}
	pairs := []struct {
		name string
		call func() error
	}{
		{"fleet-fleet", fleetTo(fleetAddr)},
		{"fleet-dubbogo", fleetTo(dubboGoAddr)},
		{"dubbogo-dubbogo", dubboGoTo(toDubboGo)},
		{"dubbogo-fleet", dubboGoTo(toFleet)},
	}
	for _, callers := range []int{1, 32, 128} {
		for _, p := range pairs {
			b.Run(p.name+"/callers="+strconv.Itoa(callers), func(b *testing.B) {
				if err := p.call(); err != nil {
					b.Fatal(err)
				}
				runCallers(b, callers, p.call)
			})
		}
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
