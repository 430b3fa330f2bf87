// Package configclient opens nacos-sdk-go/v2's config client on the
// configuration internal/nacos reads from a nacos:// URL, with the SDK's
// files in a nacos.Dirs and its logger sent to slog. It is a package of its
// own because the SDK's config client brings dependencies (Alibaba Cloud's
// KMS client) that a registry does not need.
//
// A known gap of the SDK's config client: CloseClient shuts the connection
// and cancels its context back to back, so the goroutine that reports the
// disconnection may find nobody left to receive it and stay blocked
// (rpc.(*RpcClient).asyncNotifyConnectionChange.func1): LeakyGoroutine
// names it for goleak.IgnoreTopFunction. fleet's naming client
// (nacos.NamingClient) does not have this gap.
package configclient

import (
	"fmt"

	"github.com/nacos-group/nacos-sdk-go/v2/clients/config_client"
	"github.com/nacos-group/nacos-sdk-go/v2/clients/nacos_client"
	"github.com/nacos-group/nacos-sdk-go/v2/common/http_agent"

	"github.com/fleetrpc/fleet/internal/nacos"
)

// LeakyGoroutine is the top function of the goroutine CloseClient may
// leave behind (see the package comment).
const LeakyGoroutine = "github.com/nacos-group/nacos-sdk-go/v2/common/remote/rpc.(*RpcClient).asyncNotifyConnectionChange.func1"

// New returns the SDK's config client for cfg, with its cache
// and log files in dirs (which the caller closes after the client). The
// SDK's config client replaces the process-wide logger with a file in
// dirs when it is created; its level is set to error, so that file stays
// empty unless the server cannot be reached at that moment, and
// nacos.InstallLogger is called again once it is created. Close it with
// CloseClient.
func New(cfg nacos.Config, dirs *nacos.Dirs) (config_client.IConfigClient, error) {
	cc := cfg.Client
	dirs.Apply(&cc)
	cc.LogLevel = "error"
	if cc.NamespaceId == "" {
		cc.NamespaceId = cfg.Namespace
	}
	nacos.InstallLogger() // SetClientConfig logs through the SDK's logger
	nc := &nacos_client.NacosClient{}
	if err := nc.SetClientConfig(cc); err != nil {
		return nil, fmt.Errorf("nacos: config client: %w", err)
	}
	if err := nc.SetServerConfig(cfg.Servers); err != nil {
		return nil, fmt.Errorf("nacos: config client: %w", err)
	}
	if err := nc.SetHttpAgent(&http_agent.HttpAgent{TlsConfig: cc.TLSCfg}); err != nil {
		return nil, fmt.Errorf("nacos: config client: %w", err)
	}
	c, err := config_client.NewConfigClient(nc)
	nacos.InstallLogger()
	if err != nil {
		return nil, fmt.Errorf("nacos: config client: %w", err)
	}
	return c, nil
}
