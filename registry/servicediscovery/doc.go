// Package servicediscovery is Dubbo 3's application-level service discovery,
// consumer side, on ZooKeeper: it finds the providers that register one
// instance per application (a dubbo-go v3 provider with its default
// configuration, a Java Dubbo 3 provider with register-mode=instance) and
// presents them as interface-level provider URLs, so the unchanged
// RegistryDirectory consumes them.
//
// For a subscription (a consumer URL) it reads:
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
// on the ZooKeeper at host:port. The migration rules and Nacos are not
// part of this package.
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
// Consumer URLs are not registered.
package servicediscovery
