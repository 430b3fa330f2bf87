package protocol

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/fleetrpc/fleet/common"
	zkcc "github.com/fleetrpc/fleet/configcenter/zookeeper"
)

func TestConfigCentersListed(t *testing.T) {
	require.Empty(t, New().ConfigCenters(), "none configured, none opened")

	// A center nobody listens for: it is listed, and not connected.
	cc, err := zkcc.New(common.MustParse("zookeeper://127.0.0.1:1?namespace=fleet-centers-test&timeout=1000"))
	require.NoError(t, err)
	defer cc.Close()
	p := New(WithConfigCenter(cc))
	defer p.Destroy()
	got := p.ConfigCenters()
	require.Len(t, got, 1)
	require.Same(t, cc, got[0])
	require.False(t, got[0].(interface{ Connected() bool }).Connected())
}
