// Command fleetbench measures fleet against dubbo-go v3.3.0 with consumer
// and provider in separate processes, discovering each other through a
// real ZooKeeper: fleet → fleet, fleet → dubbo-go, dubbo-go → dubbo-go,
// dubbo-go → fleet, and a raw TCP echo over the same loopback as the
// floor. Each measurement starts a provider process and a consumer process
// of its own (the program re-executes itself) in a service group of its
// own; the pairs run interleaved, round after round.
//
// For each it reports calls/s, p50 and p99 latency, errors, the CPU time
// (utime + stime from /proc/<pid>/stat, with the system share) each
// process used per call over the measured window, and each process's peak
// RSS (VmHWM from /proc/<pid>/status), as a Markdown table.
//
//	cd interop && go run ./cmd/fleetbench -zk 127.0.0.1:2181 -c 32,1 -d 5s -rounds 2
//
// Linux only (it reads /proc).
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"time"
)

const usage = `Usage: fleetbench [-zk host:port] [-c 32[,1...]] [-d 5s | -n N] [-warmup 1s] [-payload 32]
                  [-rounds 1] [-pairs fleet-fleet,fleet-dubbogo,dubbogo-dubbogo,dubbogo-fleet,echo] [-json]
                  [-dispatcher all|direct]

Measures each pair (consumer-provider) in separate processes through the
ZooKeeper at -zk (default $FLEET_ZK), interleaved, and prints a Markdown
table: calls/s, p50, p99, errors, CPU per call and peak RSS of each process.
`

func main() {
	if os.Getenv(roleEnv) != "" {
		os.Exit(child(os.Args[1:]))
	}
	os.Exit(orchestrate(os.Args[1:], os.Stdout, os.Stderr))
}

// orchestrate is the command line of the harness; it returns the exit code.
func orchestrate(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("fleetbench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, usage)
		fs.PrintDefaults()
	}
	zk := fs.String("zk", os.Getenv("FLEET_ZK"), "ZooKeeper host:port")
	callers := fs.String("c", "32", "concurrent callers, a comma-separated list")
	duration := fs.Duration("d", 5*time.Second, "measured time per pair (after the warm-up)")
	calls := fs.Int64("n", 0, "measured calls per pair, instead of -d")
	warmup := fs.Duration("warmup", time.Second, "warm-up calls before each measurement, for this long")
	payload := fs.Int("payload", 32, "bytes of the Hello argument")
	rounds := fs.Int("rounds", 1, "how many times every pair runs, interleaved")
	pairs := fs.String("pairs", "fleet-fleet,fleet-dubbogo,dubbogo-dubbogo,dubbogo-fleet,echo", "pairs to measure")
	asJSON := fs.Bool("json", false, "print the rows as JSON")
	quiet := fs.Bool("quiet", false, "no progress lines on stderr")
	dispatcher := fs.String("dispatcher", "", "the fleet providers' dispatcher param (all, direct); empty for the default")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	cfg := benchConfig{zk: *zk, duration: *duration, calls: *calls, warmup: *warmup, payload: *payload, rounds: *rounds, dispatcher: *dispatcher}
	var err error
	if cfg.pairs, err = parsePairs(*pairs); err == nil {
		cfg.callers, err = parseCallers(*callers)
	}
	switch {
	case err != nil:
	case cfg.zk == "":
		err = fmt.Errorf("no ZooKeeper: set -zk host:port or FLEET_ZK")
	case cfg.rounds < 1:
		err = fmt.Errorf("-rounds %d: at least 1", cfg.rounds)
	case cfg.calls < 0 || cfg.duration < 0 || cfg.warmup < 0 || cfg.payload < 0:
		err = fmt.Errorf("-n, -d, -warmup and -payload must not be negative")
	case cfg.calls > 0:
		cfg.duration = 0
	case cfg.duration == 0:
		err = fmt.Errorf("one of -d and -n must be positive")
	}
	if err != nil {
		fmt.Fprintln(stderr, "fleetbench:", err)
		return 2
	}
	if cfg.self, err = os.Executable(); err != nil {
		fmt.Fprintln(stderr, "fleetbench:", err)
		return 1
	}
	if !*quiet {
		cfg.progress = stderr
		fmt.Fprintln(stderr, tableHeader)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	rows, err := run(ctx, cfg)
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		_ = enc.Encode(rows)
	} else {
		writeTable(stdout, rows)
	}
	if err != nil {
		fmt.Fprintln(stderr, "fleetbench:", err)
		return 1
	}
	return 0
}
