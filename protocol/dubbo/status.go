package dubbo

import (
	"strings"

	"github.com/fleetrpc/fleet/protocol"
)

// StatusKind maps a non-OK response status and its message to fleet's
// error kind (wire.md §3): timeouts, network failures (channel inactive,
// service not found, service and server errors), serialization failures
// (bad request, bad response, client error) and limits (thread pool
// exhausted; a bad response or client error whose message starts "Data
// length too large").
func StatusKind(status byte, message string) protocol.Kind {
	switch status {
	case StatusClientTimeout, StatusServerTimeout:
		return protocol.KindTimeout
	case StatusBadRequest:
		return protocol.KindSerialization
	case StatusBadResponse, StatusClientError:
		if strings.HasPrefix(message, "Data length too large") {
			return protocol.KindLimit
		}
		return protocol.KindSerialization
	case StatusThreadpoolExhausted:
		return protocol.KindLimit
	default: // 35, 60, 70, 80 and unknown statuses
		return protocol.KindNetwork
	}
}
