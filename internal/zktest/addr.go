package zktest

import (
	"os"
	"testing"
)

// Addr is the ZooKeeper the tests use (FLEET_ZK, set by .ci/run). Without
// it the test skips, unless CI is set: then it fails.
func Addr(t testing.TB) string {
	t.Helper()
	if addr := os.Getenv("FLEET_ZK"); addr != "" {
		return addr
	}
	if os.Getenv("CI") != "" {
		t.Fatal("FLEET_ZK is not set but CI is: .ci/run must start ZooKeeper and export FLEET_ZK=host:port")
	}
	t.Skip("FLEET_ZK is not set: start a ZooKeeper and set FLEET_ZK=host:port to run the ZooKeeper tests (.ci/run does)")
	return ""
}
