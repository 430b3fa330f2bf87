package main

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/fleetrpc/fleet/internal/zktest"
)

// TestMain makes the test binary a provider or consumer process when the
// harness re-executes it.
func TestMain(m *testing.M) {
	if os.Getenv(roleEnv) != "" {
		os.Exit(child(os.Args[1:]))
	}
	os.Exit(m.Run())
}

// TestSmoke runs the harness for a few hundred calls, fleet → fleet, in
// two processes through the ZooKeeper at FLEET_ZK, and checks that every
// field of its row is measured and sane.
func TestSmoke(t *testing.T) {
	zk := zktest.Addr(t)
	self, err := os.Executable()
	require.NoError(t, err)
	var progress bytes.Buffer
	cfg := benchConfig{
		zk: zk, pairs: []pair{pairNames["fleet-fleet"]}, callers: []int{4}, rounds: 1,
		calls: 300, payload: 16, self: self, progress: &progress,
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	rows, err := run(ctx, cfg)
	require.NoError(t, err)
	require.Len(t, rows, 1)
	r := rows[0]
	t.Logf("%s", formatRow(r))
	require.Equal(t, "fleet → fleet", r.Pair)
	require.Equal(t, 4, r.Callers)
	require.Equal(t, int64(300), r.Load.Calls, "exactly -n calls")
	require.Zero(t, r.Load.Errors, r.Load.FirstErr)
	require.Positive(t, r.Load.PerSecond())
	require.Positive(t, r.Load.P50)
	require.GreaterOrEqual(t, r.Load.P99, r.Load.P50)
	require.Less(t, r.Load.P99, 5*time.Second, "no call timed out")
	for name, c := range map[string]cpuTimes{"consumer": r.ConsumerCPU, "provider": r.ProviderCPU} {
		require.GreaterOrEqual(t, c.User, time.Duration(0), name)
		require.GreaterOrEqual(t, c.System, time.Duration(0), name)
		require.Less(t, c.User+c.System, time.Minute, name)
	}
	for name, rss := range map[string]int64{"consumer": r.ConsumerRSS, "provider": r.ProviderRSS} {
		require.Greater(t, rss, int64(4<<20), name+": a Go process with fleet is bigger than 4 MiB")
		require.Less(t, rss, int64(4<<30), name)
	}
	require.Contains(t, progress.String(), "| 1 | 4 | fleet → fleet | ")

	var table bytes.Buffer
	writeTable(&table, rows)
	lines := strings.Split(strings.TrimSpace(table.String()), "\n")
	require.Len(t, lines, 3, "header, rule, one row")
	require.Equal(t, strings.Count(lines[0], "|"), strings.Count(lines[2], "|"), "as many columns as the header")
}

func TestParseStat(t *testing.T) {
	// A command name with spaces and parentheses; utime 250, stime 40.
	line := "4242 (a (b) c) S 1 4242 4242 0 -1 4194560 1234 0 0 0 250 40 0 0 20 0 8 0 100 0 0\n"
	c, err := parseStat([]byte(line))
	require.NoError(t, err)
	require.Equal(t, cpuTimes{User: 2500 * time.Millisecond, System: 400 * time.Millisecond}, c)

	for _, bad := range []string{"", "4242 (x) S 1 2", "4242 (x) S 1 4242 4242 0 -1 4194560 1234 0 0 0 u s 0"} {
		_, err := parseStat([]byte(bad))
		require.Error(t, err, "%q", bad)
	}

	self, err := readCPU(os.Getpid())
	require.NoError(t, err)
	require.GreaterOrEqual(t, self.User+self.System, time.Duration(0))
	_, err = readCPU(-1)
	require.Error(t, err)
}

func TestParseHWM(t *testing.T) {
	hwm, err := parseHWM(bufio.NewScanner(strings.NewReader("Name:\tx\nVmPeak:\t  9 kB\nVmHWM:\t   2048 kB\nVmRSS:\t1 kB\n")))
	require.NoError(t, err)
	require.Equal(t, int64(2048<<10), hwm)
	for _, bad := range []string{"Name:\tx\n", "VmHWM:\t12 MB\n", "VmHWM:\tmany kB\n"} {
		_, err := parseHWM(bufio.NewScanner(strings.NewReader(bad)))
		require.Error(t, err, "%q", bad)
	}
	self, err := readPeakRSS(os.Getpid())
	require.NoError(t, err)
	require.Positive(t, self)
}

func TestPercentile(t *testing.T) {
	var d []time.Duration
	for i := 1; i <= 200; i++ {
		d = append(d, time.Duration(i))
	}
	require.Equal(t, time.Duration(100), percentile(d, 50))
	require.Equal(t, time.Duration(198), percentile(d, 99))
	require.Equal(t, time.Duration(1), percentile(d[:1], 99))
}

func TestCommandLineErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-zk", "h:1", "-pairs", "java-java"}, `unknown pair "java-java"`},
		{[]string{"-zk", "h:1", "-c", "0"}, "want positive integers"},
		{[]string{"-zk", "h:1", "-rounds", "0"}, "-rounds 0"},
		{[]string{"-zk", "h:1", "-d", "0"}, "one of -d and -n"},
		{[]string{"-zk", "h:1", "-payload", "-1"}, "must not be negative"},
		{[]string{"-zk", ""}, "no ZooKeeper"},
		{[]string{"-bogus"}, "flag provided but not defined"},
	} {
		var stdout, stderr bytes.Buffer
		require.Equal(t, 2, orchestrate(tc.args, &stdout, &stderr), "%v", tc.args)
		require.Contains(t, stderr.String(), tc.want, "%v", tc.args)
		require.Empty(t, stdout.String())
	}
}
