// Package admin is fleet's operations endpoint over HTTP, what Dubbo's QoS
// offers and more, for a config.Runtime:
//
//	GET  /live                      liveness probe: 200 while the process serves HTTP
//	GET  /ready                     readiness probe: 200 when started, not closed and no service offline, else 503
//	GET  /startup                   startup probe: 200 once every configured service is exported, else 503
//	GET  /ls                        exported services (registered/offline) and references (availability), JSON
//	POST /offline?service=NAME      unregister exported services without unexporting them (all without service=)
//	POST /online?service=NAME       register them again
//	GET  /snapshot?reference=NAME&method=M   a reference's directory, rules and router.Explain, JSON
//	GET  /debug/pprof/              the runtime profiles of net/http/pprof
//
// It sits above package config. Off by default: Start serves it only when
// the configuration sets dubbo.admin.port, on 127.0.0.1 unless
// dubbo.admin.host says otherwise. The fleet tool's admin command is its
// client.
package admin
