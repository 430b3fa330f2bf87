// Package nacos is fleet's Nacos registry: Java Dubbo's interface-level
// Nacos layout (NacosRegistry), so fleet consumers and providers share one
// Nacos with Java Dubbo and dubbo-go.
//
// A URL is registered as one ephemeral instance of the Nacos service
// <category>:<interface>:<version>:<group> (empty segments kept:
// providers:org.apache.dubbo.demo.DemoService::) in the Nacos group of the
// registry URL (nacos.group, else group, else DEFAULT_GROUP) and its
// namespace. The instance carries the URL's host and port, its parameters
// plus category, protocol and path as metadata, and its weight.
//
// Subscribe rebuilds protocol://ip:port/path?metadata from every enabled,
// healthy instance, as Java does, keeps what common.IsMatch accepts and
// notifies the full list of a category (one empty:// URL when nothing is
// left). It accepts what dubbo-go writes too: nacos.category for category,
// a path with a leading slash, parameters with empty values (absent); it
// drops the internal-nacos-* keys the polaris server adds. A concrete
// interface subscribes its providers (and consumers when asked);
// configurators and routers come from the config center, as in Java. A
// group or version of * or a comma list, and interface * (consoles), list
// the group's services and subscribe every compatible name, rescanning
// every nacos.lookup.interval.
//
// Lists from several service names of one category are kept per name and
// merged, so a push for one name never hides the others; an out-of-date
// answer never replaces a newer one (internal/nacos); and a list that turns
// empty within nacos.empty-grace of a reconnection is held until the
// providers had time to register again, so a server restart does not empty
// the directory.
//
// The "nacos" scheme opens a Registry wrapped in registry.NewFailback, which
// retries failed operations and keeps the disk snapshot. New returns the
// bare Registry.
package nacos
