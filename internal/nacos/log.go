package nacos

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"

	sdklog "github.com/nacos-group/nacos-sdk-go/v2/common/logger"
	sdkutil "github.com/nacos-group/nacos-sdk-go/v2/util"
)

// InstallLogger makes the SDK's process-wide logger write to slog.Default()
// (looked up at each message) with component=nacos-sdk, instead of a file.
// The SDK is chatty and logs every failed attempt that it retries, with a
// stack trace: its errors are slog info, everything else debug, and only
// the first line of a message is kept.
//
// It also reads the SDK's local address once (util.LocalIP), here, before
// any SDK goroutine: the SDK caches it in a variable that its goroutines
// write unsynchronised on first use, which the race detector reports when
// two clients start at once.
func InstallLogger() {
	installMu.Lock()
	defer installMu.Unlock()
	sdklog.SetLogger(slogAdapter{})
	if !localIPRead {
		localIPRead = true
		_ = sdkutil.LocalIP()
	}
}

var localIPRead bool // installMu

var installMu sync.Mutex

// slogAdapter implements the SDK's logger.Logger on slog.
type slogAdapter struct{}

func (slogAdapter) log(level slog.Level, format string, args []any) {
	l := slog.Default()
	if !l.Enabled(context.Background(), level) {
		return
	}
	var msg string
	if format == "" {
		msg = fmt.Sprint(args...)
	} else {
		msg = fmt.Sprintf(format, args...)
	}
	if i := strings.IndexByte(msg, '\n'); i >= 0 {
		msg = msg[:i]
	}
	l.Log(context.Background(), level, msg, "component", "nacos-sdk")
}

func (a slogAdapter) Info(args ...any)  { a.log(slog.LevelDebug, "", args) }
func (a slogAdapter) Warn(args ...any)  { a.log(slog.LevelDebug, "", args) }
func (a slogAdapter) Error(args ...any) { a.log(slog.LevelInfo, "", args) }
func (a slogAdapter) Debug(args ...any) { a.log(slog.LevelDebug, "", args) }

func (a slogAdapter) Infof(f string, args ...any)  { a.log(slog.LevelDebug, f, args) }
func (a slogAdapter) Warnf(f string, args ...any)  { a.log(slog.LevelDebug, f, args) }
func (a slogAdapter) Errorf(f string, args ...any) { a.log(slog.LevelInfo, f, args) }
func (a slogAdapter) Debugf(f string, args ...any) { a.log(slog.LevelDebug, f, args) }
