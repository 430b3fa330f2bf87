// Package servicediscovery is Dubbo 3's application-level service discovery,
// consumer side, on ZooKeeper and on Nacos: it finds the providers that register one
// instance per application (a dubbo-go v3 provider with its default
// configuration, a Java Dubbo 3 provider with register-mode=instance) and
// presents them as interface-level provider URLs, so the unchanged
// RegistryDirectory consumes them.
//
// For a subscription (a consumer URL) it reads, on ZooKeeper:
//
//   - the service-name mapping: the consumer URL's provided-by (a comma
//     list of application names) or else /<group>/mapping/<interface>, a
//     comma list of application names, watched;
//   - the instances of each application: the children of
//     /services/<app>, each a JSON document as Curator's service discovery
//     writes it (id, name, address, port, payload.metadata), watched, with
//     the metadata keys dubbo.metadata.revision,
//     dubbo.metadata.storage-type, dubbo.endpoints and
//     dubbo.metadata-service.url-params;
//   - the metadata of each revision: MetadataService.getMetadataInfo called
//     over dubbo:// on one instance carrying it (storage type local, the
//     default) or the node /<group>/metadata/<app>/<revision> (storage type
//     remote), cached by application and revision, so any number of
//     instances sharing a revision cost one call.
//
// On Nacos (NewNacos) it reads the same things where Java's and dubbo-go's
// Nacos service discovery and metadata report keep them: the mapping is
// the config <interface> in group mapping (a comma list, read every
// mapping.poll, 1 s; a mapping that turns empty or vanishes keeps the
// applications it had, as Java's mapping listener does); an application's
// instances are the instances of the Nacos service <app> in the registry's
// group (nacos.group, else group, else DEFAULT_GROUP), subscribed through
// internal/nacos, with the dubbo.* keys as instance metadata (disabled,
// unhealthy and weight-0 instances left out); the metadata report of a
// revision is the config <app> in group <revision>, else <app>:<revision>
// in the registry's group (dubbo-go 3.1). An application whose instances
// turn empty within nacos.empty-grace (15 s) of a reconnection keeps its
// last ones until instances come or the grace ends, so a server restart
// does not empty the directory before the providers registered again.
//
// What the registry reads is behind a small internal interface (source);
// the subscriptions, the revision cache, the fetches and the URLs built are
// shared by both.
//
// It then notifies, for every subscription, the full list of provider URLs
// (one per instance and matching service: dubbo://ip:port/path?<the
// service's params>&interface=…&group=…&version=…), or one empty:// URL
// when there is none, as registry.NotifyListener expects (the providers
// category only: rules come from the config center in Dubbo 3).
//
// Metadata is fetched in the background, at most 8 revisions at once.
// Subscribe waits for it up to the subscribe wait (default: the metadata
// timeout) before its first notification; later changes never wait: an
// instance whose revision is being fetched is listed with the metadata it
// had (or not yet, when new) and the list is notified again when the fetch
// ends. An instance whose metadata cannot be fetched is left out with a log
// line and fetched again after the retry period; it never holds up the
// other instances. Revisions no subscription uses any more are dropped
// from the cache.
//
// Registry implements registry.Registry and registers itself for the
// scheme service-discovery-registry (Java's name): the URL
// service-discovery-registry://host:port?registry=zookeeper&… opens one
// on the ZooKeeper at host:port, …?registry=nacos&namespace=…&… one on the
// Nacos server at host:port. Choosing between this and interface-level
// discovery per reference (Dubbo 3's migration) is registry/protocol's, with
// the rules of registry/migration.
//
// The provider side: Register of a provider URL (it must name its
// application) adds the service to the application's MetadataInfo and
// recomputes the revision as Java Dubbo 3.2/3.3 does (Revision); adds the
// application to /<group>/mapping/<interface> (read, append, write with
// the version read, so other applications' names are kept); exports the
// application's MetadataService (org.apache.dubbo.metadata.MetadataService,
// group = the application, version 1.0.0, getMetadataInfo) on the port of
// its first dubbo:// provider, through the dubbo protocol that exported
// it (WithMetadataProtocol; default the registered one), so it shares
// that server; and writes the ephemeral node /services/<app>/<host:port>
// in Curator's JSON with the metadata dubbo.metadata.revision,
// dubbo.metadata.storage-type (local), dubbo.endpoints,
// dubbo.metadata-service.url-params and meta-v (1.0.0). Unregister removes
// the service and rewrites the node, or deletes it with the application's
// last service. A new session (after expiry) writes the nodes again.
// Consumer URLs are not registered. On Nacos the instance is an ephemeral
// instance of the Nacos service <app> in the registry's group with the
// same metadata (the client registers it again after a reconnection), and
// the mapping is the config <interface> in group mapping, read, appended
// and published as dubbo-go does, then read back until it lists the
// application (appended again over another application's write).
package servicediscovery
