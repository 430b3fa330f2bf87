package zookeeper

import (
	"errors"
	"fmt"

	"github.com/go-zookeeper/zk"
)

var (
	// ErrClosed is returned by the methods of a closed Registry.
	ErrClosed = errors.New("zookeeper: registry closed")
	// ErrNotConnected is returned when no session is up within the
	// operation's deadline, or the connection is lost during it.
	ErrNotConnected = errors.New("zookeeper: not connected")
)

// translate turns an error of the ZooKeeper client into one of this
// package, naming the path; connection failures wrap ErrNotConnected. The
// client's error stays in the chain (errors.Is(err, zk.ErrNoAuth)).
func translate(op, path string, err error) error {
	if err == nil {
		return nil
	}
	switch {
	case errors.Is(err, zk.ErrConnectionClosed), errors.Is(err, zk.ErrNoServer),
		errors.Is(err, zk.ErrSessionExpired), errors.Is(err, zk.ErrClosing):
		return fmt.Errorf("%s %s: %w: %w", op, path, ErrNotConnected, err)
	}
	return fmt.Errorf("%s %s: %w", op, path, err)
}

// isConnectionError reports whether err says the connection or session
// is gone (the operation may succeed once it is back).
func isConnectionError(err error) bool { return errors.Is(err, ErrNotConnected) }
