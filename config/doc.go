// Package config loads fleet's YAML configuration (registries and
// references, dubbo-go's dubbo: schema accepted) and wires references
// together: registry → directory → cluster → proxy.
//
// Discovery levels (discovery.go): a registry's registry-type (interface,
// service, all) and the application's register-mode (interface — fleet's
// default —, instance, all) decide which registry URLs references and
// exports use; the application's service-discovery.migration is the
// migration step of references that set none (registry/migration).
//
// config sits above the core: it may import every fleet package, and no
// core package (common, protocol, registry, directory, configurator,
// router, cluster) may import it.
package config
