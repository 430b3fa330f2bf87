package nacos

import (
	"context"
	"errors"
	"fmt"

	"github.com/nacos-group/nacos-sdk-go/v2/common/constant"
	"github.com/nacos-group/nacos-sdk-go/v2/common/remote/rpc/rpc_request"
	"github.com/nacos-group/nacos-sdk-go/v2/common/remote/rpc/rpc_response"
)

// Config requests. A Nacos 2.x server dispatches a request by its type,
// whatever module the connection was labelled with, so a config center
// sends its queries, publications and removals through a client of this
// package too, and shares its connection handling: a request waits for a
// connection, and the SDK's transport is never handed one while it
// reconnects (the data race the SDK's own config client has, v2.2.x).
// The config is read in the client's namespace.

// errConfigNotFound is the server's code for a missing config.
const errConfigNotFound = 300

// ErrConfigNotFound is returned by GetConfig for a data id with no config.
var ErrConfigNotFound = errors.New("nacos: config not found")

// GetConfig returns the content of dataID in group; ErrConfigNotFound
// when there is none.
func (c *NamingClient) GetConfig(ctx context.Context, dataID, group string) (string, error) {
	req := rpc_request.NewConfigQueryRequest(groupOr(group), dataID, c.cfg.Client.NamespaceId)
	req.Headers["notify"] = "false"
	resp, err := c.request(ctx, req, true)
	if err != nil {
		return "", fmt.Errorf("nacos: get config %s in %s: %w", dataID, group, err)
	}
	q, ok := resp.(*rpc_response.ConfigQueryResponse)
	switch {
	case !ok:
		return "", fmt.Errorf("nacos: get config %s in %s: %w: answer %s", dataID, group, ErrRefused, resp.GetResponseType())
	case q.IsSuccess() || q.GetResultCode() == constant.RESPONSE_CODE_SUCCESS:
		return q.Content, nil
	case q.GetErrorCode() == errConfigNotFound:
		return "", fmt.Errorf("nacos: get config %s in %s: %w", dataID, group, ErrConfigNotFound)
	}
	return "", fmt.Errorf("nacos: get config %s in %s: %w: code %d: %s", dataID, group, ErrRefused, q.GetErrorCode(), q.GetMessage())
}

// PublishConfig sets the content of dataID in group.
func (c *NamingClient) PublishConfig(ctx context.Context, dataID, group, content string) error {
	req := rpc_request.NewConfigPublishRequest(groupOr(group), dataID, c.cfg.Client.NamespaceId, content, "")
	if _, err := c.request(ctx, req, false); err != nil {
		return fmt.Errorf("nacos: publish config %s in %s: %w", dataID, group, err)
	}
	return nil
}

// RemoveConfig removes dataID from group; removing a missing config is
// not an error.
func (c *NamingClient) RemoveConfig(ctx context.Context, dataID, group string) error {
	req := rpc_request.NewConfigRemoveRequest(groupOr(group), dataID, c.cfg.Client.NamespaceId)
	if _, err := c.request(ctx, req, false); err != nil {
		return fmt.Errorf("nacos: remove config %s in %s: %w", dataID, group, err)
	}
	return nil
}

func groupOr(g string) string {
	if g == "" {
		return constant.DEFAULT_GROUP
	}
	return g
}
