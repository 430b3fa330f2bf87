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
// It imports common only: never a registry, a directory or a cluster.
package configurator
