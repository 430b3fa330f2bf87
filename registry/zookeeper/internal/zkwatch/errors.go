package zkwatch

import (
	"errors"
	"fmt"
)

// Error is a ZooKeeper error code of a reply (KeeperException.Code).
type Error int32

// The codes callers test for.
const (
	ErrUnimplemented  Error = -6
	ErrNoNode         Error = -101
	ErrNoAuth         Error = -102
	ErrSessionExpired Error = -112
	ErrAuthFailed     Error = -115
)

var codeNames = map[Error]string{
	-1: "system error", -2: "runtime inconsistency", -3: "data inconsistency", -4: "connection loss",
	-5: "marshalling error", ErrUnimplemented: "unimplemented", -7: "operation timeout", -8: "bad arguments",
	-13: "new config no quorum", -14: "reconfig in progress", -100: "api error", ErrNoNode: "node does not exist",
	ErrNoAuth: "not authenticated", -103: "bad version", -108: "no children for ephemerals",
	-110: "node exists", -111: "node not empty", ErrSessionExpired: "session expired",
	-113: "invalid callback", -114: "invalid ACL", ErrAuthFailed: "authentication failed",
	-118: "session moved", -119: "not read-only", -120: "ephemeral on local session", -121: "no watcher",
	-122: "request timeout", -123: "reconfig disabled", -124: "session closed for quota", -125: "quota exceeded",
	-127: "throttled",
}

func (e Error) Error() string {
	if s, ok := codeNames[e]; ok {
		return "zkwatch: " + s
	}
	return fmt.Sprintf("zkwatch: error code %d", int32(e))
}

var (
	// ErrClosed is returned by a session's requests once it has ended
	// (Close, or a break that Err gives).
	ErrClosed = errors.New("zkwatch: session closed")
	// ErrRefused is returned by Dial when the server gives no session.
	ErrRefused = errors.New("zkwatch: session refused")
)
