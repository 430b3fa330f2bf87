package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/internal/testutil"
	"github.com/fleetrpc/fleet/protocol"
	"github.com/fleetrpc/fleet/protocol/service"
	"github.com/fleetrpc/fleet/registry/memory"
)

type greeter struct{}

func (greeter) SayHello(_ context.Context, name string) (string, error) { return "Hello " + name, nil }
func (greeter) Add(a, b int64) (int64, error)                           { return a + b, nil }
func (greeter) Find(id int64) (map[string]any, error) {
	if id < 0 {
		return nil, errors.New("no such user")
	}
	return map[string]any{"id": id, "name": "bob"}, nil
}

const iface = "org.example.Greeter"

// startProvider exports greeter over dubbo:// on a free loopback port and
// returns its URL.
func startProvider(t *testing.T) *common.URL {
	t.Helper()
	u := common.MustParse(fmt.Sprintf("dubbo://127.0.0.1:%d/%s?interface=%s&methods=sayHello,add,find&side=provider", testutil.FreePort(t), iface, iface))
	svc, err := service.New(u, greeter{})
	require.NoError(t, err)
	p, err := protocol.Get("dubbo")
	require.NoError(t, err)
	exp, err := p.Export(svc)
	require.NoError(t, err)
	t.Cleanup(exp.Unexport)
	return u
}

func fleet(args ...string) (int, string, string) {
	var stdout, stderr bytes.Buffer
	code := run(args, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

func TestInvokeProviderDirectly(t *testing.T) {
	u := startProvider(t)
	target := "dubbo://" + u.Address()
	tests := []struct {
		name   string
		args   []string
		code   int
		stdout string
		stderr string
	}{
		{"string", []string{target, iface, "sayHello", `"world"`}, 0, `"Hello world"`, ""},
		{"declared types, flags after arguments", []string{target, iface, "add", "2", "-5", "--types", "long,long"}, 0, "-3", ""},
		{"map reply", []string{target, iface, "find", "7"}, 0, `"name": "bob"`, ""},
		{"remote exception", []string{target, iface, "find", "-1", "--retries", "0"}, 1, "", "java.lang.RuntimeException: no such user"},
		{"not json", []string{target, iface, "sayHello", "world"}, 2, "", `argument 1 "world" is not JSON`},
		{"types mismatch", []string{target, iface, "add", "1", "--types", "long,long"}, 2, "", "--types lists 2 types for 1 arguments"},
		{"bad type value", []string{target, iface, "add", `"x"`, "--types", "long"}, 2, "", "argument 1 as long"},
		{"too few", []string{target, iface}, 2, "", "Usage: fleet invoke"},
		{"unknown scheme", []string{"nope://127.0.0.1:1", iface, "sayHello"}, 1, "", "neither a registry"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := fleet(append([]string{"invoke"}, tt.args...)...)
			require.Equal(t, tt.code, code, "stderr: %s", stderr)
			require.Contains(t, stdout, tt.stdout)
			require.Contains(t, stderr, tt.stderr)
		})
	}
}

func TestCommandsThroughARegistry(t *testing.T) {
	u := startProvider(t)
	regURL := "memory://cli-" + strings.ReplaceAll(t.Name(), "/", "-")
	session := memory.Open(common.MustParse(regURL))
	t.Cleanup(func() { session.Close() })
	ctx := context.Background()
	require.NoError(t, session.Register(ctx, u.WithParam("application", "greeter")))
	// A second, unreachable provider on another host, and a rule that sends
	// consumers on 127.0.0.1 only to the first.
	other := common.MustParse("dubbo://10.0.0.2:20880/" + iface + "?interface=" + iface + "&side=provider")
	require.NoError(t, session.Register(ctx, other))
	rule := common.Encode("host = 127.0.0.1 => host = 127.0.0.1")
	require.NoError(t, session.Register(ctx, common.MustParse("route://0.0.0.0/"+iface+"?category=routers&router=condition&force=true&rule="+rule)))

	t.Run("invoke through directory, routers and cluster", func(t *testing.T) {
		code, stdout, stderr := fleet("invoke", regURL, iface, "sayHello", `"registry"`)
		require.Equal(t, 0, code, stderr)
		require.Equal(t, "\"Hello registry\"\n", stdout)
	})
	t.Run("ls services", func(t *testing.T) {
		code, stdout, stderr := fleet("ls", regURL)
		require.Equal(t, 0, code, stderr)
		require.Equal(t, iface+"\tproviders=2\tconsumers=0\n", stdout)
	})
	t.Run("ls one service", func(t *testing.T) {
		code, stdout, stderr := fleet("ls", regURL, iface)
		require.Equal(t, 0, code, stderr)
		lines := strings.Split(strings.TrimSpace(stdout), "\n")
		require.Len(t, lines, 3)
		require.True(t, strings.HasPrefix(lines[0], "providers\tdubbo://"))
		require.Contains(t, lines[2], "routers\troute://")
		require.Contains(t, lines[2], "[rule: host = 127.0.0.1 => host = 127.0.0.1]")
	})
	t.Run("ls json", func(t *testing.T) {
		code, stdout, _ := fleet("ls", regURL, iface, "--json")
		require.Equal(t, 0, code)
		var entries []lsEntry
		require.NoError(t, json.Unmarshal([]byte(stdout), &entries))
		require.Len(t, entries, 3)
		require.Equal(t, "providers", entries[0].Category)
	})
	t.Run("route", func(t *testing.T) {
		code, stdout, stderr := fleet("route", regURL, iface, "--method", "sayHello", "--consumer", "host=127.0.0.1", "--consumer", "application=shop")
		require.Equal(t, 0, code, stderr)
		require.Contains(t, stdout, u.Address())
		require.Contains(t, stdout, "10.0.0.2:20880")
		require.Contains(t, stdout, "host = 127.0.0.1 => host = 127.0.0.1", "the rule that removed the other provider is named")
	})
	t.Run("route from a host the rule does not cover", func(t *testing.T) {
		code, stdout, _ := fleet("route", regURL, iface, "--consumer", "host=10.9.9.9")
		require.Equal(t, 0, code)
		require.NotContains(t, stdout, "removed")
	})
}

func TestBenchCommand(t *testing.T) {
	u := startProvider(t)
	code, stdout, stderr := fleet("bench", "dubbo://"+u.Address(), iface, "sayHello", `"bench"`, "-c", "4", "-n", "200", "--quiet", "--json")
	require.Equal(t, 0, code, stderr)
	var r benchReport
	require.NoError(t, json.Unmarshal([]byte(stdout), &r))
	require.Equal(t, int64(200), r.Calls)
	require.Zero(t, r.Errors)
	require.Positive(t, r.P99)

	code, _, stderr = fleet("bench", "dubbo://"+u.Address(), iface, "sayHello", "-n", "1", "-d", "1s")
	require.Equal(t, 2, code)
	require.Contains(t, stderr, "exactly one of -n N and -d DURATION")
}

func TestHelpOnEveryCommand(t *testing.T) {
	for _, cmd := range []string{"ls", "invoke", "route", "bench", "url"} {
		code, stdout, stderr := fleet(cmd, "--help")
		require.Equal(t, 0, code, cmd)
		require.Contains(t, stdout+stderr, "Usage: fleet "+cmd, cmd)
	}
}
