package nacos_test

import (
	"testing"

	"go.uber.org/goleak"

	"github.com/fleetrpc/fleet/configcenter/nacos"
	"github.com/fleetrpc/fleet/internal/nacos/nacostest"
)

func TestMain(m *testing.M) {
	nacostest.VerifyTestMain(m, goleak.IgnoreTopFunction(nacos.LeakyGoroutine))
}
