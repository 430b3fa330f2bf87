// Package interop tests fleet's dubbo:// protocol against a real peer,
// dubbo-go v3.3.0, in both directions (fleet consumer → dubbo-go provider,
// dubbo-go consumer → fleet provider), with direct dubbo://127.0.0.1:port
// references and no registry, and benchmarks fleet against dubbo-go in the
// same run.
//
// It is a module of its own so that only it depends on dubbo-go:
//
//	cd interop && go test ./...
package interop
