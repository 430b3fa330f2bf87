package nacos_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nacos-group/nacos-sdk-go/v2/common/constant"
	"github.com/stretchr/testify/require"

	"github.com/fleetrpc/fleet/internal/nacos"
)

func TestDirs(t *testing.T) {
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	d, err := nacos.OpenDirs()
	require.NoError(t, err)
	wd, _ := os.Getwd()
	require.False(t, strings.HasPrefix(d.Root(), wd), "never under the working directory")
	require.True(t, strings.HasPrefix(d.Root(), filepath.Join(os.Getenv("XDG_CACHE_HOME"), "fleet", "nacos")))
	var c constant.ClientConfig
	d.Apply(&c)
	require.True(t, strings.HasPrefix(c.CacheDir, d.Root()))
	require.True(t, strings.HasPrefix(c.LogDir, d.Root()))
	require.NoError(t, os.MkdirAll(c.CacheDir, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(c.CacheDir, "x"), []byte("x"), 0o644))
	require.NoError(t, d.Close())
	require.NoError(t, d.Close())
	_, err = os.Stat(d.Root())
	require.True(t, os.IsNotExist(err))
}
