package nacos_test

import (
	"testing"

	"github.com/fleetrpc/fleet/internal/nacos/nacostest"
)

func TestMain(m *testing.M) { nacostest.VerifyTestMain(m) }
