package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/stretchr/testify/require"

	"github.com/fleetrpc/fleet/internal/zktest"
)

// TestRuleCommand writes, reads and deletes rules in a real ZooKeeper at
// dubbo-admin's paths, and refuses a rule that does not parse.
func TestRuleCommand(t *testing.T) {
	addr := zktest.Addr(t)
	ns := fmt.Sprintf("fleet-rule-test-%d", time.Now().UnixNano())
	center := "zookeeper://" + addr + "?namespace=" + ns
	conn, events, err := zk.Connect([]string{addr}, 4*time.Second, zk.WithLogInfo(false), zk.WithLogger(zkQuiet{}))
	require.NoError(t, err)
	t.Cleanup(func() {
		for _, p := range []string{"/config/dubbo/app.condition-router", "/config/g2/app.tag-router", "/config/dubbo", "/config/g2", "/config", ""} {
			_ = conn.Delete("/"+ns+p, -1)
		}
		conn.Close()
		for range events {
		}
	})

	rule := "scope: application\nkey: app\nforce: true\nconditions:\n  - \"=> host = 10.0.0.1\"\n"
	file := filepath.Join(t.TempDir(), "rule.yml")
	require.NoError(t, os.WriteFile(file, []byte(rule), 0o644))
	code, _, stderr := fleet("rule", "put", center, "app.condition-router", file)
	require.Equal(t, 0, code, stderr)
	data, _, err := conn.Get("/" + ns + "/config/dubbo/app.condition-router")
	require.NoError(t, err)
	require.Equal(t, rule, string(data), "dubbo-admin's node")

	code, stdout, stderr := fleet("rule", "get", center, "app.condition-router")
	require.Equal(t, 0, code, stderr)
	require.Equal(t, rule, stdout)

	code, _, stderr = fleet("rule", "put", center, "app.condition-router", writeTemp(t, "conditions: [\"=> host == 1\"]\n"))
	require.Equal(t, 1, code)
	require.Contains(t, stderr, "app.condition-router")
	require.Contains(t, stderr, "not written")
	code, stdout, _ = fleet("rule", "get", center, "app.condition-router")
	require.Equal(t, 0, code)
	require.Equal(t, rule, stdout, "a refused rule leaves the old one")

	var out, errOut bytes.Buffer
	tagRule := "force: false\nkey: app\ntags:\n  - name: gray\n    addresses: [\"10.0.0.1:20880\"]\n"
	code = ruleCommandIn([]string{"put", center, "app.tag-router", "-", "--group", "g2"}, strings.NewReader(tagRule), &out, &errOut)
	require.Equal(t, 0, code, errOut.String())
	data, _, err = conn.Get("/" + ns + "/config/g2/app.tag-router")
	require.NoError(t, err)
	require.Equal(t, tagRule, string(data))

	code, _, stderr = fleet("rule", "rm", center, "app.condition-router")
	require.Equal(t, 0, code, stderr)
	code, _, stderr = fleet("rule", "get", center, "app.condition-router")
	require.Equal(t, 1, code)
	require.Contains(t, stderr, "not found")
	code, _, stderr = fleet("rule", "rm", center, "app.condition-router")
	require.Equal(t, 0, code, stderr)
	code, _, stderr = fleet("rule", "rm", center, "app.tag-router", "--group", "g2")
	require.Equal(t, 0, code, stderr)

	code, _, stderr = fleet("rule", "move", center, "k")
	require.Equal(t, 2, code)
	require.Contains(t, stderr, `unknown operation "move"`)
	code, _, _ = fleet("rule", "get", center)
	require.Equal(t, 2, code)
}

func writeTemp(t *testing.T, content string) string {
	t.Helper()
	f := filepath.Join(t.TempDir(), "r.yml")
	require.NoError(t, os.WriteFile(f, []byte(content), 0o644))
	return f
}

type zkQuiet struct{}

func (zkQuiet) Printf(string, ...any) {}
