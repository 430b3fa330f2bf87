// Package configurator holds the Configurator contract: an override:// or
// absent:// rule that changes provider URLs, as Dubbo's governance pushes
// them through the registry's configurators category.
//
// It imports common only: never a registry, a directory or a cluster.
package configurator
