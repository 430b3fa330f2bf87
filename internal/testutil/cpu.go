package testutil

import (
	"syscall"
	"testing"
	"time"
)

// ProcessCPU is the CPU time (user and system) the process has used so
// far, 0 when it cannot be read. On a loaded machine CPU time is a call's
// cost where wall time is its latency.
func ProcessCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// CPUPerOp starts counting the process's CPU time; the function it returns
// reports the time since, per op, as cpu-ns/op:
//
//	defer testutil.CPUPerOp(b)()
func CPUPerOp(b *testing.B) func() {
	start := ProcessCPU()
	return func() {
		b.ReportMetric(float64(ProcessCPU()-start)/float64(b.N), "cpu-ns/op")
	}
}
