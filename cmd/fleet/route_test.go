package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/registry/memory"
)

// TestRouteNamesTheTagRule: fleet route runs the built-in tag router, with
// a call's tag and a tag rule file, and names the rule that removed a
// provider.
func TestRouteNamesTheTagRule(t *testing.T) {
	regURL := "memory://cli-" + strings.ReplaceAll(t.Name(), "/", "-")
	session := memory.Open(common.MustParse(regURL))
	t.Cleanup(func() { session.Close() })
	ctx := context.Background()
	for _, p := range []string{"10.0.0.1:20880?x=1", "10.0.0.2:20880?dubbo.tag=gray"} {
		require.NoError(t, session.Register(ctx, common.MustParse("dubbo://"+p+"&interface="+iface+"&side=provider&application=demo")))
	}

	code, stdout, stderr := fleet("route", regURL, iface)
	require.Equal(t, 0, code, stderr)
	require.Contains(t, stdout, "tag (static tags)")
	require.Contains(t, stdout, "removed 10.0.0.2:20880")

	code, stdout, stderr = fleet("route", regURL, iface, "--tag", "gray")
	require.Equal(t, 0, code, stderr)
	require.Contains(t, stdout, "removed 10.0.0.1:20880")

	rule := filepath.Join(t.TempDir(), "demo.tag-router")
	require.NoError(t, os.WriteFile(rule, []byte("key: demo\ntags:\n  - name: gray\n    addresses: [\"10.0.0.1\"]\n"), 0o600))
	code, stdout, stderr = fleet("route", regURL, iface, "--tag", "gray", "--tag-rule", rule)
	require.Equal(t, 0, code, stderr)
	require.Contains(t, stdout, "tag rule demo (force=false, tags gray)")
	require.Contains(t, stdout, "removed 10.0.0.2:20880")

	require.NoError(t, os.WriteFile(rule, []byte("tags: []\n"), 0o600))
	code, _, stderr = fleet("route", regURL, iface, "--tag-rule", rule)
	require.Equal(t, 2, code)
	require.Contains(t, stderr, "--tag-rule: tag rule: no tags")
}
