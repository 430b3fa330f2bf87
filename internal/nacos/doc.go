// Package nacos holds what fleet's Nacos clients share (registry/nacos,
// configcenter/nacos): the nacos:// URL read into nacos-sdk-go/v2's client
// and server configuration (ParseURL), the directories the SDK writes,
// owned by fleet and removed on close (Dirs), the SDK's process-wide
// logger sent to slog (InstallLogger), and a client on the SDK's gRPC
// transport whose goroutines stop on Close (NamingClient), which carries
// the config center's requests too (GetConfig, PublishConfig,
// RemoveConfig): the SDK's config client hands requests to its transport
// while it reconnects, a data race in v2.2.x, and writes cache files.
//
// Why not the SDK's own naming client: naming_client.NewNamingClient also
// starts the Nacos 1.x UDP push receiver (a socket on every interface and a
// goroutine blocked in a read that Close never ends), replaces the global
// logger with a rolling file whose goroutine is never stopped, and delivers
// a service to the callbacks without its refresh time. NamingClient uses
// the same SDK parts underneath (rpc.RpcClient, the naming requests and
// responses, model.Service) and none of those.
package nacos
