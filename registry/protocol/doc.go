// Package protocol refers and exports services through a registry, as Java
// Dubbo's RegistryProtocol does: Refer builds a directory.RegistryDirectory
// for the consumer described by a registry URL's refer= parameter,
// registers the consumer URL, subscribes the directory to the service's
// providers, configurators and routers and joins it with a cluster
// strategy; Export exports an invoker through its own protocol and
// registers the provider URL.
//
// Governance rules from a config center (governance.go) join here, as in
// Java: a reference watches <app>.configurators, <service>.configurators,
// <service>.condition-router, the providers' and its own application's
// .condition-router and the providers' application's .tag-router, and
// hands them to its directory's dynamic configurators and routers; an
// export watches its own configurators and re-registers with what they
// change. The config center is WithConfigCenter's, WithConfigCenterURL's,
// or by default one at the registry's address when the program imports a
// config center of that scheme (configcenter/zookeeper, configcenter/nacos).
//
// Migration (migration.go) joins here too, as Java's MigrationInvoker and
// MigrationRuleListener: a reference through an interface-level registry
// (zookeeper://…, registry://…?registry=zookeeper) also uses the
// application-level one at the same address
// (service-discovery-registry://…?registry=zookeeper, when the program
// imports registry/servicediscovery and it opens for that registry) under
// a step of registry/migration: FORCE_INTERFACE, APPLICATION_FIRST (the
// default) or FORCE_APPLICATION, from the config center's rule
// <application>.migration (group DUBBO_SERVICEDISCOVERY_MIGRATION,
// watched), else the reference's migration.step param. Refer through
// service-discovery-registry:// is application-level only; Sides and Step
// show a reference's levels to tools.
//
// It is the wiring layer above registry, directory and cluster. It is NOT a
// registry implementation and is not registered as one: registry
// implementations (registry/memory, registry/zookeeper, …) never import it.
// It imports common, protocol, registry, registry/migration, directory,
// cluster, configcenter, configurator and the routers; never a registry
// implementation.
package protocol
