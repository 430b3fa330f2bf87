package nacos

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"github.com/nacos-group/nacos-sdk-go/v2/common/constant"
)

// Dirs is a directory of fleet's own where the SDK keeps its cache and log
// files: <user cache dir>/fleet/nacos/<random> (the system's temporary
// directory when there is no user cache dir), never the working
// directory. Close removes it. fleet does not read the SDK's cache: the
// registry keeps its own snapshot (registry.Snapshot).
type Dirs struct {
	root string
	once sync.Once
}

// OpenDirs creates a fresh Dirs.
func OpenDirs() (*Dirs, error) {
	base, err := os.UserCacheDir()
	if err == nil {
		base = filepath.Join(base, "fleet", "nacos")
		err = os.MkdirAll(base, 0o755)
	}
	if err != nil {
		base = os.TempDir()
	}
	root, err := os.MkdirTemp(base, "sdk-")
	if err != nil {
		return nil, fmt.Errorf("nacos: sdk directory: %w", err)
	}
	return &Dirs{root: root}, nil
}

// Root is the directory.
func (d *Dirs) Root() string { return d.root }

// Apply points c's cache and log directories into d.
func (d *Dirs) Apply(c *constant.ClientConfig) {
	c.CacheDir = filepath.Join(d.root, "cache")
	c.LogDir = filepath.Join(d.root, "log")
}

// Close removes the directory and everything in it. Idempotent.
func (d *Dirs) Close() error {
	var err error
	d.once.Do(func() {
		if rerr := os.RemoveAll(d.root); rerr != nil {
			err = fmt.Errorf("nacos: remove sdk directory: %w", rerr)
		}
	})
	return err
}
