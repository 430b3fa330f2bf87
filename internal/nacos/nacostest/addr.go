package nacostest

import (
	"crypto/rand"
	"encoding/hex"
	"os"
	"strings"
	"testing"
)

// Addr is the Nacos server the tests use (FLEET_NACOS=host:port, set by
// .ci/run). Without it the test skips, unless CI is set: then it fails.
func Addr(t testing.TB) string {
	t.Helper()
	if a := os.Getenv("FLEET_NACOS"); a != "" {
		return a
	}
	if os.Getenv("CI") != "" {
		t.Fatal("FLEET_NACOS is not set but CI is: .ci/run must start the polaris server and export FLEET_NACOS=host:port")
	}
	t.Skip("FLEET_NACOS is not set: start a Nacos-protocol server (polaris, see README) and set FLEET_NACOS=host:port to run the Nacos tests (.ci/run does)")
	return ""
}

// Unique returns a name unique to this test run, built from the test's
// name, for namespaces, groups and interfaces that must not collide with
// other tests on the shared server.
func Unique(t testing.TB) string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	name := strings.NewReplacer("/", "-", " ", "-", "#", "-", "=", "-").Replace(t.Name())
	return "fleet-" + name + "-" + hex.EncodeToString(b[:])
}
