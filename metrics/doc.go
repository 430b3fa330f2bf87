// Package metrics records RPC metrics in Prometheus form, with Apache Dubbo
// 3's metric names and labels, so fleet consumers and providers show on the
// dashboards Java Dubbo fills.
//
// A Metrics value holds the collectors and its own Prometheus registry;
// ConsumerFilter and ProviderFilter are protocol.Filters that record each
// call, and Handler serves the text exposition format. Metric names follow
// Java Dubbo's MetricsKey with the side in place of %s and dots as
// underscores:
//
//	dubbo_<side>_requests_total                           every call
//	dubbo_<side>_requests_succeed_total                   succeeded
//	dubbo_<side>_requests_failed_total                    failed, whatever the kind
//	dubbo_<side>_requests_business_failed_total           KindBusiness
//	dubbo_<side>_requests_timeout_total                   KindTimeout
//	dubbo_<side>_requests_limit_total                     KindLimit
//	dubbo_<side>_requests_failed_network_total            KindNetwork
//	dubbo_<side>_requests_failed_service_unavailable_total KindNoProvider, KindForbidden
//	dubbo_<side>_requests_failed_codec_total              KindSerialization
//	dubbo_<side>_requests_unknown_failed_total            any other failure
//	dubbo_<side>_requests_processing                      calls in flight (gauge)
//	dubbo_<side>_rt_milliseconds                          latency histogram in milliseconds
//
// with the labels application_name, hostname, ip, interface, method, group
// and version (Java's MetricsConstants tags). The method is the real method
// of a generic call.
//
// TrackProvider counts the provider invokers the directories hold, read at
// scrape time, per service (labels without method):
//
//	dubbo_registry_directory_num_all                      providers held
//	dubbo_registry_directory_num_valid_total              of them available
//	dubbo_registry_directory_num_to_reconnect_total       of them not available
//
// RecordRegister, RecordSubscribe and RecordNotify (package config calls
// them from the registries it opens) fill Java's registry metrics:
// dubbo_registry_register_requests_total (and _succeed_total,
// _failed_total), dubbo_registry_subscribe_num_total (and _succeed_total,
// _failed_total), dubbo_registry_notify_requests_total and
// dubbo_registry_notify_num_last per interface, and the
// dubbo_notify_rt_milliseconds histogram of the time a directory took to
// apply a notification.
//
// SetRegistrySource, SetConnectionSource, SetRuleSource and
// SetConfigCenterSource give callbacks read at each scrape (package config
// sets them from registry.Stats, dubbo.Protocol.Connections, the
// directories' rules and the config centers' sessions), so nothing is
// recorded between scrapes:
//
//	dubbo_registry_connected                 1 while the registry session is up (registries with sessions)
//	dubbo_registry_session_expiries_total    sessions expired and replaced
//	dubbo_registry_failback_queue_length     operations waiting for a retry
//	dubbo_consumer_connections               connections up, per provider address
//	dubbo_consumer_connections_held          connections held, up or not, per provider address
//	dubbo_registry_directory_rules           rules in force per service, kind=router|configurator
//	dubbo_configcenter_connected             1 while the config center's session is up
//	dubbo_configcenter_session_expiries_total config center sessions lost and replaced
//	dubbo_consumer_outlier_providers         providers outlier ejection keeps away, per service, state=ejected|probing
//
// The filters do not allocate on the call path: the label children of each
// (invoker URL, method) are resolved once and cached. The consumer filter
// belongs around a reference's cluster invoker (one count per call, as
// Java's MetricsClusterFilter counts), the provider filter around an
// exported invoker. The package imports only protocol and common from
// fleet: no core package imports it.
package metrics
