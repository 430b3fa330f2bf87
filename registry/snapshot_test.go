package registry

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/internal/testutil"
)

func TestSnapshotWritesAtomicallyAndLoads(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "sub", "registry.cache")
	urls := []*common.URL{common.MustParse(provider + "&a=1&b=2"), common.MustParse("empty://10.0.0.9/" + svc + "?category=routers")}

	s := OpenSnapshot(file, nil)
	require.Same(t, s, OpenSnapshot(file, nil), "one snapshot per file in a process")
	s.Put("g/"+svc+":1.0.0", urls)
	require.NoError(t, s.Flush())
	require.NoError(t, s.Close())
	require.NoError(t, s.Close(), "the last reference writes and stops")

	require.Equal(t, []string{"registry.cache", "registry.cache.lock"}, dirNames(t, filepath.Dir(file)),
		"no temporary file is left behind")

	s2 := OpenSnapshot(file, nil)
	defer s2.Close()
	require.Equal(t, testutil.Strings(urls), testutil.Strings(s2.Get("g/"+svc+":1.0.0")))
	require.Nil(t, s2.Get("other"))
}

func TestSnapshotIgnoresACorruptFile(t *testing.T) {
	file := filepath.Join(t.TempDir(), "registry.cache")
	require.NoError(t, os.WriteFile(file, []byte("{not json"), 0o644))
	s := OpenSnapshot(file, nil)
	require.Nil(t, s.Get(svc))
	s.Put(svc, []*common.URL{common.MustParse(provider)})
	require.NoError(t, s.Close())
	s = OpenSnapshot(file, nil)
	defer s.Close()
	require.Len(t, s.Get(svc), 1, "rewritten")
}

func TestDefaultSnapshotPath(t *testing.T) {
	cache := t.TempDir()
	t.Setenv("XDG_CACHE_HOME", cache)
	t.Setenv("HOME", cache)
	tests := []struct {
		raw  string
		want string
		ok   bool
	}{
		{"zookeeper://10.0.0.1:2181", "fleet/registry-10.0.0.1-2181.cache", true},
		{"zookeeper://10.0.0.1:2181?application=shop", "fleet/registry-shop-10.0.0.1-2181.cache", true},
		{"zookeeper://10.0.0.1:2181?file=/tmp/x.cache", "/tmp/x.cache", true},
		{"zookeeper://10.0.0.1:2181?file.cache=false", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.raw, func(t *testing.T) {
			got, ok := DefaultSnapshotPath(common.MustParse(tt.raw))
			require.Equal(t, tt.ok, ok)
			if !ok {
				return
			}
			if filepath.IsAbs(tt.want) {
				require.Equal(t, tt.want, got)
				return
			}
			dir, err := os.UserCacheDir()
			require.NoError(t, err)
			require.Equal(t, filepath.Join(dir, tt.want), got)
		})
	}
}

func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// openUnshared opens a Snapshot of path that no other OpenSnapshot in this
// process shares, as another process would.
func openUnshared(t *testing.T, path string) *Snapshot {
	t.Helper()
	s := OpenSnapshot(path, nil)
	snapshotsMu.Lock()
	delete(snapshots, s.path)
	snapshotsMu.Unlock()
	t.Cleanup(func() {
		close(s.quit)
		<-s.done
	})
	return s
}

// TestSnapshotSharedByTwoProcesses: two writers of one file (two
// applications given the same file=, or one started twice) keep each
// other's services; each replaces only what it put itself.
func TestSnapshotSharedByTwoProcesses(t *testing.T) {
	file := filepath.Join(t.TempDir(), "registry.cache")
	a, b := openUnshared(t, file), openUnshared(t, file)
	require.NotSame(t, a, b)

	one := []*common.URL{common.MustParse(provider + "&from=a")}
	two := []*common.URL{common.MustParse(provider + "&from=b")}
	a.Put("svc.A", one)
	require.NoError(t, a.Flush())
	b.Put("svc.B", two)
	require.NoError(t, b.Flush()) // b never saw svc.A in memory
	a.Put("shared", one)
	require.NoError(t, a.Flush())
	b.Put("shared", two)
	require.NoError(t, b.Flush())
	a.Put("svc.A", two) // a rewrites: b's services stay
	require.NoError(t, a.Flush())

	c := openUnshared(t, file)
	require.Equal(t, testutil.Strings(two), testutil.Strings(c.Get("svc.A")))
	require.Equal(t, testutil.Strings(two), testutil.Strings(c.Get("svc.B")))
	require.Equal(t, testutil.Strings(two), testutil.Strings(c.Get("shared")), "the last writer of a service wins")
}

// TestSnapshotRemovesStaleTemporaryFiles: a temporary file left by a
// process killed between create and rename is removed by the next write.
func TestSnapshotRemovesStaleTemporaryFiles(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "registry.cache")
	require.NoError(t, os.WriteFile(file+".tmp4711", []byte("{half"), 0o644))
	s := OpenSnapshot(file, nil)
	s.Put(svc, []*common.URL{common.MustParse(provider)})
	require.NoError(t, s.Close())
	require.Equal(t, []string{"registry.cache", "registry.cache.lock"}, dirNames(t, dir))
}
