package registry

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/fleetrpc/fleet/common"
)

// Registry URL parameters of the disk snapshot.
const (
	// FileKey names the snapshot file (Java Dubbo's registry cache file).
	FileKey = "file"
	// FileCacheKey: file.cache=false keeps no snapshot.
	FileCacheKey = "file.cache"
)

// Snapshot is the registry cache file: for each subscribed service (by
// service key) the URLs last notified for it, every category included
// (empty:// URLs too), so that a consumer can start while its registry is
// unreachable. It holds the same content as Java Dubbo's cache file in a
// format of its own (JSON).
//
// Put records in memory and returns; a goroutine of the Snapshot writes
// the file, atomically (a temporary file renamed over it), coalescing
// bursts. Snapshots of one path in a process are shared: OpenSnapshot
// returns the same one, counted, and the last Close writes what is pending
// and stops the goroutine. Methods are safe for concurrent use.
//
// Processes may share a file too (two applications given one file=, or
// one application started twice): each write holds an exclusive lock on
// <file>.lock, reads the file as it is now and replaces only the services
// this process changed since its last write, keeping the others; it also
// removes temporary files a process killed mid-write left behind. Java
// Dubbo instead skips the write while another process holds the lock;
// merging keeps both processes' lists.
type Snapshot struct {
	path string       // immutable
	log  *slog.Logger // immutable
	wake chan struct{}
	quit chan struct{}
	done chan struct{}

	mu      sync.Mutex // guards entries, changed, dirty, refs
	entries map[string][]string
	changed map[string]bool // service keys Put since the last write
	dirty   bool
	refs    int

	writeMu sync.Mutex // serialises writes of the file
}

// snapshotFile is the file's content.
type snapshotFile struct {
	Version  int                 `json:"version"`
	Services map[string][]string `json:"services"`
}

var (
	snapshotsMu sync.Mutex
	snapshots   = map[string]*Snapshot{}
)

// OpenSnapshot returns the snapshot kept at path, loading the file when it
// exists. A file that cannot be read or parsed is logged and replaced on
// the next write; logger nil means slog.Default().
func OpenSnapshot(path string, logger *slog.Logger) *Snapshot {
	if logger == nil {
		logger = slog.Default()
	}
	if abs, err := filepath.Abs(path); err == nil {
		path = abs
	}
	snapshotsMu.Lock()
	defer snapshotsMu.Unlock()
	if s, ok := snapshots[path]; ok {
		s.mu.Lock()
		s.refs++
		s.mu.Unlock()
		return s
	}
	s := &Snapshot{
		path:    path,
		log:     logger.With("component", "registry/snapshot", "file", path),
		wake:    make(chan struct{}, 1),
		quit:    make(chan struct{}),
		done:    make(chan struct{}),
		entries: map[string][]string{},
		changed: map[string]bool{},
		refs:    1,
	}
	s.load()
	snapshots[path] = s
	go s.run()
	return s
}

// DefaultSnapshotPath is where the snapshot of registryURL is kept: its
// file parameter, else a file under the user's cache directory named for
// the application and the registry address
// (<cache>/fleet/registry-<application>-<host>-<port>.cache). ok is false
// when the URL has file.cache=false or no cache directory is known.
func DefaultSnapshotPath(registryURL *common.URL) (path string, ok bool) {
	if !registryURL.ParamBool(FileCacheKey, true) {
		return "", false
	}
	if f := registryURL.ParamOr(FileKey, ""); f != "" {
		return f, true
	}
	dir, err := os.UserCacheDir()
	if err != nil {
		return "", false
	}
	name := "registry-"
	if app := registryURL.ParamOr(common.ApplicationKey, ""); app != "" {
		name += app + "-"
	}
	name += strings.NewReplacer(":", "-", "/", "-", "\\", "-").Replace(registryURL.Address()) + ".cache"
	return filepath.Join(dir, "fleet", name), true
}

// Path is the snapshot's file.
func (s *Snapshot) Path() string { return s.path }

func (s *Snapshot) load() {
	for k, v := range s.read() {
		s.entries[k] = v
	}
}

// read returns the services in the file as it is now; nil when it is
// missing, unreadable or corrupt (logged: it is rewritten on the next
// write).
func (s *Snapshot) read() map[string][]string {
	b, err := os.ReadFile(s.path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		s.log.Warn("registry snapshot not read", "err", err)
		return nil
	}
	var f snapshotFile
	if err := json.Unmarshal(b, &f); err != nil {
		s.log.Warn("registry snapshot not parsed; it will be rewritten", "err", err)
		return nil
	}
	return f.Services
}

// Get returns the URLs last stored for serviceKey, nil when none. Entries
// that do not parse are skipped.
func (s *Snapshot) Get(serviceKey string) []*common.URL {
	s.mu.Lock()
	raw := s.entries[serviceKey]
	s.mu.Unlock()
	var urls []*common.URL
	for _, r := range raw {
		u, err := common.Parse(r)
		if err != nil {
			s.log.Warn("skipping a bad URL in the registry snapshot", "service", serviceKey, "err", err)
			continue
		}
		urls = append(urls, u)
	}
	return urls
}

// Put stores urls as the last list of serviceKey and schedules a write.
func (s *Snapshot) Put(serviceKey string, urls []*common.URL) {
	strs := make([]string, len(urls))
	for i, u := range urls {
		strs[i] = u.FullString()
	}
	s.mu.Lock()
	if old, ok := s.entries[serviceKey]; ok && slices.Equal(old, strs) {
		s.mu.Unlock()
		return
	}
	s.entries[serviceKey] = strs
	s.changed[serviceKey] = true
	s.dirty = true
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Flush writes the file now if anything changed since the last write.
func (s *Snapshot) Flush() error {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	s.mu.Lock()
	if !s.dirty {
		s.mu.Unlock()
		return nil
	}
	changed := s.changed
	s.changed, s.dirty = map[string]bool{}, false
	s.mu.Unlock()
	if err := s.write(changed); err != nil {
		s.mu.Lock()
		for k := range changed {
			s.changed[k] = true
		}
		s.dirty = true
		s.mu.Unlock()
		return fmt.Errorf("registry: write snapshot %s: %w", s.path, err)
	}
	return nil
}

// write merges into the file, under the file lock, the services changed
// in this process since its last write; every service when the file is
// missing or corrupt.
func (s *Snapshot) write(changed map[string]bool) error {
	if err := os.MkdirAll(filepath.Dir(s.path), 0o755); err != nil {
		return err
	}
	unlock, err := lockFile(s.path + ".lock")
	if err != nil {
		return err
	}
	defer unlock()
	removeStaleTemps(s.path)

	f := snapshotFile{Version: 1, Services: s.read()}
	all := f.Services == nil
	if all {
		f.Services = map[string][]string{}
	}
	s.mu.Lock()
	for k, v := range s.entries {
		if all || changed[k] {
			f.Services[k] = v
		}
	}
	s.mu.Unlock()

	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // URLs stay readable: & not \u0026
	enc.SetIndent("", "  ")
	if err := enc.Encode(f); err != nil {
		return err
	}
	return writeFileAtomic(s.path, buf.Bytes())
}

// tempPattern is the name pattern of path's temporary files.
func tempPattern(path string) string { return filepath.Base(path) + ".tmp*" }

// removeStaleTemps removes temporary files of path that a writer killed
// between create and rename left; called under the file lock, when no
// other writer has one open.
func removeStaleTemps(path string) {
	stale, _ := filepath.Glob(filepath.Join(filepath.Dir(path), tempPattern(path)))
	for _, f := range stale {
		_ = os.Remove(f)
	}
}

// writeFileAtomic writes b to a temporary file beside path and renames it
// over path, so readers see the old file or the new one, never a part.
// path's directory exists (write made it).
func writeFileAtomic(path string, b []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), tempPattern(path))
	if err != nil {
		return err
	}
	_, err = tmp.Write(b)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		os.Remove(tmp.Name())
	}
	return err
}

func (s *Snapshot) run() {
	defer close(s.done)
	for {
		select {
		case <-s.wake:
			if err := s.Flush(); err != nil {
				s.log.Error("registry snapshot not written", "err", err)
			}
		case <-s.quit:
			return
		}
	}
}

// Close releases this reference; the last one writes what is pending and
// stops the snapshot's goroutine. Idempotence is the caller's: each
// OpenSnapshot is matched by one Close.
func (s *Snapshot) Close() error {
	snapshotsMu.Lock()
	defer snapshotsMu.Unlock()
	s.mu.Lock()
	s.refs--
	last := s.refs == 0
	s.mu.Unlock()
	if !last {
		return nil
	}
	delete(snapshots, s.path)
	close(s.quit)
	<-s.done
	return s.Flush() // under snapshotsMu: a new OpenSnapshot of the path loads what this writes
}
