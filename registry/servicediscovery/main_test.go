package servicediscovery

import (
	"testing"

	"github.com/fleetrpc/fleet/internal/nacos/nacostest"
)

// The Nacos client's transport may finish a reconnect back-off after
// Close: nacostest's check waits for it.
func TestMain(m *testing.M) { nacostest.VerifyTestMain(m) }
