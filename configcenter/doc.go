// Package configcenter is the contract of a config center: the store
// dubbo-admin and Java Dubbo 2.7+/3.x keep governance rules in
// (<app>.configurators, <service>.condition-router, <app>.tag-router, …),
// read by key within a group (default "dubbo").
//
// A ConfigCenter gets a key, watches a key (its current state, then every
// change or deletion, delivered to a callback) and, for operators and
// tests, publishes and removes keys as dubbo-admin would. Implementations
// register by URL scheme, as registries do: configcenter/zookeeper
// (dubbo-admin's layout /<namespace>/config/<group>/<key>) and
// configcenter/nacos (data id = key). Open picks one by the URL's scheme.
//
// FromRegistry turns a registry URL into the config-center URL Java Dubbo
// uses when none is configured: the registry's address, its group as the
// namespace and the group.
//
// The package knows no directory, router or configurator: the wiring that
// turns keys into rules lives above it (registry/protocol).
package configcenter
