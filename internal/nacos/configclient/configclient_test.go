package configclient_test

import (
	"os"
	"testing"
	"time"

	"github.com/nacos-group/nacos-sdk-go/v2/vo"
	"github.com/stretchr/testify/require"

	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/internal/nacos"
	"github.com/fleetrpc/fleet/internal/nacos/configclient"
	"github.com/fleetrpc/fleet/internal/nacos/nacostest"
	"github.com/fleetrpc/fleet/internal/testutil"
)

func TestConfigClientPublishGetListen(t *testing.T) {
	addr := nacostest.Addr(t)
	cfg, err := nacos.ParseURL(common.MustParse("nacos://" + addr + "?namespace=" + nacostest.Unique(t)))
	require.NoError(t, err)
	dirs, err := nacos.OpenDirs()
	require.NoError(t, err)
	c, err := configclient.New(cfg, dirs)
	require.NoError(t, err)

	changes := make(chan string, 8)
	require.NoError(t, c.ListenConfig(vo.ConfigParam{DataId: "app.configurators", Group: "dubbo",
		OnChange: func(_, _, _, data string) { changes <- data }}))
	ok, err := c.PublishConfig(vo.ConfigParam{DataId: "app.configurators", Group: "dubbo", Content: "configVersion: v3.0"})
	require.NoError(t, err)
	require.True(t, ok)
	select {
	case got := <-changes:
		require.Equal(t, "configVersion: v3.0", got)
	case <-time.After(testutil.DefaultTimeout * 3):
		t.Fatal("no change pushed")
	}
	got, err := c.GetConfig(vo.ConfigParam{DataId: "app.configurators", Group: "dubbo"})
	require.NoError(t, err)
	require.Equal(t, "configVersion: v3.0", got)
	c.CloseClient()
	require.NoError(t, dirs.Close())
	_, err = os.Stat(dirs.Root())
	require.True(t, os.IsNotExist(err))
}
