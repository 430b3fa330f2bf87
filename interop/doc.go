// Package interop tests fleet's dubbo:// protocol against a real peer,
// dubbo-go v3.3.0, in both directions (fleet consumer → dubbo-go provider,
// dubbo-go consumer → fleet provider), with direct dubbo://127.0.0.1:port
// references and no registry, and benchmarks fleet against dubbo-go in the
// same run.
//
// With FLEET_ZK=host:port naming a ZooKeeper it also tests discovery
// through it, both ways: a dubbo-go provider registered interface-level
// (registry-type: interface) found by fleet's RegistryDirectory, and a
// fleet provider found by a dubbo-go consumer. Without FLEET_ZK those
// tests skip (they fail when CI is set).
//
// It is a module of its own so that only it depends on dubbo-go:
//
//	cd interop && go test ./...
package interop
