package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"time"
)

const benchUsage = `Usage: fleet bench TARGET INTERFACE METHOD [ARG_JSON...] [-c 32] (-n 100000 | -d 30s)

Calls METHOD in a loop from -c concurrent callers, for -n calls or for -d,
with a progress bar on standard error, then reports calls/s, p50/p90/p99/max
latency and errors by kind. TARGET and the arguments are as for fleet invoke.
`

func benchCommand(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("bench", benchUsage, stderr)
	var o callOptions
	var c callFlags
	defineCallFlags(fs, &o, &c)
	concurrency := fs.Int("c", 32, "concurrent callers")
	calls := fs.Int64("n", 0, "number of calls")
	duration := fs.Duration("d", 0, "duration of the run")
	quiet := fs.Bool("quiet", false, "no progress bar")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	pos, err := parseArgs(fs, args)
	if errors.Is(err, errHelp) {
		return 0
	}
	if err != nil {
		return 2
	}
	if len(pos) < 3 {
		fs.Usage()
		return 2
	}
	if (*calls > 0) == (*duration > 0) {
		fmt.Fprintln(stderr, "fleet: bench needs exactly one of -n N and -d DURATION")
		return 2
	}
	if *concurrency < 1 {
		fmt.Fprintln(stderr, "fleet: -c must be at least 1")
		return 2
	}
	inv, err := c.invocation(pos[2], pos[3:])
	if err != nil {
		fmt.Fprintf(stderr, "fleet: %v\n", err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	referCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	invoker, cleanup, err := referTarget(referCtx, pos[0], pos[1], &o)
	cancel()
	if err != nil {
		fmt.Fprintf(stderr, "fleet: %v\n", oneLine(err))
		return 1
	}
	defer cleanup()
	plan := benchPlan{concurrency: *concurrency, calls: *calls, duration: *duration}
	if !*quiet {
		plan.progress = stderr
	}
	report := runBench(ctx, invoker, inv, plan)
	if *asJSON {
		return writeJSON(stdout, report)
	}
	fmt.Fprint(stdout, report)
	return 0
}
