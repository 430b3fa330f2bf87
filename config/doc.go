// Package config loads fleet's YAML configuration (registries and
// references, dubbo-go's dubbo: schema accepted) and wires references
// together: registry → directory → cluster → proxy.
//
// config sits above the core: it may import every fleet package, and no
// core package (common, protocol, registry, directory, configurator,
// router, cluster) may import it.
package config
