package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"time"
)

// roleEnv, when set, makes the program (or the test binary) a provider
// or consumer process of a run: the orchestrator re-executes itself.
const roleEnv = "FLEETBENCH_ROLE"

// A child reports to the orchestrator on file descriptor 3, one line per
// message; its stdout and stderr are the peers' logs.
const (
	readyPrefix = "READY "
	errorPrefix = "ERROR "
)

// childResult is what a consumer process measured over the measured
// window (after the warm-up): its load, the CPU time both processes used
// in the window, and both peak RSSes at its end.
type childResult struct {
	Load        loadResult `json:"load"`
	ConsumerCPU cpuTimes   `json:"consumer_cpu"`
	ProviderCPU cpuTimes   `json:"provider_cpu"`
	ConsumerRSS int64      `json:"consumer_peak_rss"`
	ProviderRSS int64      `json:"provider_peak_rss"`
}

// child runs a provider or consumer process: args[0] is the role, the
// rest its flags. It returns the exit code.
func child(args []string) int {
	report := os.NewFile(3, "report")
	if report == nil {
		fmt.Fprintln(os.Stderr, "fleetbench: a child process needs file descriptor 3")
		return 2
	}
	defer report.Close()
	fail := func(err error) int {
		fmt.Fprintf(report, "%s%s\n", errorPrefix, oneLine(err.Error()))
		return 1
	}
	if len(args) == 0 {
		return fail(fmt.Errorf("no role"))
	}
	fs := flag.NewFlagSet(args[0], flag.ContinueOnError)
	var a roleArgs
	fs.StringVar(&a.impl, "impl", "", "implementation")
	fs.StringVar(&a.zk, "zk", "", "ZooKeeper host:port")
	fs.StringVar(&a.group, "group", "", "service group")
	fs.StringVar(&a.addr, "addr", "", "echo provider address")
	fs.StringVar(&a.dispatcher, "dispatcher", "", "the fleet provider's dispatcher")
	providerPID := fs.Int("provider-pid", 0, "the provider's process id")
	var plan loadPlan
	fs.IntVar(&plan.callers, "c", 32, "concurrent callers")
	fs.Int64Var(&plan.calls, "n", 0, "calls")
	fs.DurationVar(&plan.duration, "d", 0, "duration")
	warmup := fs.Duration("warmup", 0, "warm-up")
	payload := fs.Int("payload", 0, "payload bytes")
	if err := fs.Parse(args[1:]); err != nil {
		return fail(err)
	}
	switch args[0] {
	case "provider":
		addr, stop, err := startProvider(a)
		if err != nil {
			return fail(err)
		}
		fmt.Fprintf(report, "%s%s\n", readyPrefix, addr)
		// Serve until the orchestrator closes stdin (or dies).
		_, _ = io.Copy(io.Discard, os.Stdin)
		stop()
		return 0
	case "consumer":
		res, err := consume(a, plan, *warmup, payloadOf(*payload), *providerPID)
		if err != nil {
			return fail(err)
		}
		w := bufio.NewWriter(report)
		if err := json.NewEncoder(w).Encode(res); err != nil {
			return fail(err)
		}
		if err := w.Flush(); err != nil {
			fmt.Fprintln(os.Stderr, "fleetbench:", err)
			return 1
		}
		return 0
	}
	return fail(fmt.Errorf("unknown role %q", args[0]))
}

// consume refers the provider, warms up, and measures plan's load with
// the CPU time of both processes around it.
func consume(a roleArgs, plan loadPlan, warmup time.Duration, payload string, providerPID int) (childResult, error) {
	var r childResult
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	call, stop, err := startConsumer(ctx, a, payload)
	cancel()
	if err != nil {
		return r, err
	}
	defer stop()
	if plan.callers < 1 {
		return r, fmt.Errorf("-c %d: at least one caller", plan.callers)
	}
	if warmup > 0 {
		runLoad(context.Background(), call, loadPlan{callers: plan.callers, duration: warmup})
	}
	self := os.Getpid()
	c0, err := readCPU(self)
	if err != nil {
		return r, err
	}
	p0, err := readCPU(providerPID)
	if err != nil {
		return r, fmt.Errorf("the provider's CPU time: %w", err)
	}
	r.Load = runLoad(context.Background(), call, plan)
	c1, err := readCPU(self)
	if err != nil {
		return r, err
	}
	p1, err := readCPU(providerPID)
	if err != nil {
		return r, fmt.Errorf("the provider's CPU time: %w", err)
	}
	r.ConsumerCPU, r.ProviderCPU = c1.sub(c0), p1.sub(p0)
	if r.ConsumerRSS, err = readPeakRSS(self); err != nil {
		return r, err
	}
	if r.ProviderRSS, err = readPeakRSS(providerPID); err != nil {
		return r, fmt.Errorf("the provider's peak RSS: %w", err)
	}
	return r, nil
}

func oneLine(s string) string {
	out := []rune(s)
	for i, c := range out {
		if c == '\n' || c == '\r' {
			out[i] = ' '
		}
	}
	return string(out)
}
