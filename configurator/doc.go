// Package configurator holds the Configurator contract and Dubbo's two
// kinds of rule: override:// (overwrite parameters) and absent:// (add
// parameters that are missing), as governance pushes them through the
// registry's configurators category.
//
// FromURLs turns one full configurators list into the ordered list a
// directory applies; Apply runs such a list over a URL. Rules follow Java
// Dubbo 2.7 (AbstractConfigurator, Configurator.toConfigurators); see
// ../shared/reference/rules.md §3.
//
// ParseRules reads the YAML rules dubbo-admin writes to a config center
// (<app>.configurators, <service>.configurators; configVersion v2.7 and
// v3.0, Java's ConfigParser) into override URLs with their Dubbo 3 match
// conditions; FromRules turns them into configurators. A v3.x rule is
// checked as Dubbo 3 does (no port checks, the rule's service must be the
// target's or *, exact providerAddresses entries).
//
// It imports common only: never a registry, a directory or a cluster.
package configurator
