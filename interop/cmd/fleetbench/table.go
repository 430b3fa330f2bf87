package main

import (
	"fmt"
	"io"
	"time"
)

// tableHeader is the Markdown header of the result table.
const tableHeader = "| round | callers | pair | calls/s | p50 | p99 | errors | consumer CPU/call (sys) | provider CPU/call (sys) | consumer peak RSS | provider peak RSS |\n" +
	"| ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"

// writeTable writes rows as a Markdown table.
func writeTable(w io.Writer, rows []row) {
	fmt.Fprintln(w, tableHeader)
	for _, r := range rows {
		fmt.Fprintln(w, formatRow(r))
	}
}

func formatRow(r row) string {
	return fmt.Sprintf("| %d | %d | %s | %.0f | %s | %s | %d | %s | %s | %s | %s |",
		r.Round, r.Callers, r.Pair, r.Load.PerSecond(), formatLatency(r.Load.P50), formatLatency(r.Load.P99),
		r.Load.Errors, formatCPU(r.ConsumerCPU, r.Load.Calls), formatCPU(r.ProviderCPU, r.Load.Calls),
		formatBytes(r.ConsumerRSS), formatBytes(r.ProviderRSS))
}

// perCall is c's CPU time per call.
func perCall(c cpuTimes, calls int64) time.Duration {
	if calls <= 0 {
		return 0
	}
	return (c.User + c.System) / time.Duration(calls)
}

func formatCPU(c cpuTimes, calls int64) string {
	total := c.User + c.System
	sys := 0.0
	if total > 0 {
		sys = 100 * float64(c.System) / float64(total)
	}
	return fmt.Sprintf("%.1f µs (%.0f%%)", float64(perCall(c, calls).Nanoseconds())/1e3, sys)
}

func formatLatency(d time.Duration) string {
	if d >= time.Millisecond {
		return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond))
	}
	return fmt.Sprintf("%d µs", d.Microseconds())
}

func formatBytes(n int64) string {
	return fmt.Sprintf("%.0f MiB", float64(n)/(1<<20))
}
