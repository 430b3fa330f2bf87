package common

import "time"

// Parameter names that identify a service and a URL's role.
const (
	// InterfaceKey names the service interface (org.a.Svc).
	InterfaceKey = "interface"
	// GroupKey names the service group; empty means none.
	GroupKey = "group"
	// VersionKey names the service version; empty means none.
	VersionKey = "version"
	// CategoryKey names the registry category of a URL; see the *Category
	// values. A subscription lists several, comma-separated.
	CategoryKey = "category"
	// MethodsKey lists the methods of a service, comma-separated.
	MethodsKey = "methods"
	// SideKey is "consumer" or "provider".
	SideKey = "side"
	// ApplicationKey names the application that wrote the URL.
	ApplicationKey = "application"
	// RemoteApplicationKey names the provider's application, as a consumer
	// records it.
	RemoteApplicationKey = "remote.application"
	// ClassifierKey narrows a subscription to providers with this classifier.
	ClassifierKey = "classifier"
	// ProtocolKey is the protocol name, in parameter maps such as refer=.
	ProtocolKey = "protocol"
	// UsernameKey, PasswordKey, HostKey and PortKey name the URL's own parts
	// in RawParam and in the defaults of ParseAddress.
	UsernameKey = "username"
	PasswordKey = "password"
	HostKey     = "host"
	PortKey     = "port"
	// PathParamKey names the URL's path in RawParam and in the defaults of
	// ParseAddress.
	PathParamKey = "path"
	// TimestampKey is the registration time in milliseconds; Equal ignores
	// its value.
	TimestampKey = "timestamp"
	// RemoteTimestampKey is the provider's timestamp as a consumer records it.
	RemoteTimestampKey = "remote.timestamp"
	// ReleaseKey is the Dubbo release of the writer (2.7.23).
	ReleaseKey = "release"
	// DubboVersionKey is the Dubbo protocol version of the writer (2.0.2).
	DubboVersionKey = "dubbo"
	// TagKey is the routing tag of a provider or a request.
	TagKey = "dubbo.tag"
	// ForceTagKey, true on a request or a consumer, keeps a tagged request
	// off untagged providers when no provider has the tag.
	ForceTagKey = "dubbo.force.tag"
	// NeedMockKey, true as a call's attachment, sends the call to the
	// mock:// providers only (Java's invocation.need.mock).
	NeedMockKey = "invocation.need.mock"
	// MockProtocol is the protocol of mock provider URLs.
	MockProtocol = "mock"
)

// Parameter names of invocation behaviour; the Default* values below are
// their defaults.
const (
	// TimeoutKey is the call timeout: milliseconds, or a Go duration.
	TimeoutKey = "timeout"
	// RetriesKey is the number of retries after the first attempt.
	RetriesKey = "retries"
	// ClusterKey names the cluster strategy (failover, failfast, ...).
	ClusterKey = "cluster"
	// LoadbalanceKey names the load balancer (random, roundrobin, ...).
	LoadbalanceKey = "loadbalance"
	// WeightKey is a provider's load-balancing weight.
	WeightKey = "weight"
	// WarmupKey is the time after start during which a provider's weight
	// ramps up: milliseconds, or a Go duration.
	WarmupKey = "warmup"
	// StickyKey asks the cluster to reuse the last provider.
	StickyKey = "sticky"
	// ForksKey is the parallelism of the forking cluster.
	ForksKey = "forks"
	// GenericKey marks a generic reference or service.
	GenericKey = "generic"
	// MockKey configures a mock for a reference.
	MockKey = "mock"
	// TokenKey is a provider's access token.
	TokenKey = "token"
)

// Parameter names read by registries, directories and rules.
const (
	// EnabledKey: a provider with enabled=false is not used; a consumer with
	// enabled=* sees disabled providers too.
	EnabledKey = "enabled"
	// DisabledKey lists what an override disables.
	DisabledKey = "disabled"
	// CheckKey: when true, referring fails without an available provider.
	CheckKey = "check"
	// RegisterKey: when false, a URL is not registered.
	RegisterKey = "register"
	// DynamicKey: when false, a provider's registration outlives its
	// session.
	DynamicKey = "dynamic"
	// AnyHostKey: anyhost=true means the provider listens on every address.
	AnyHostKey = "anyhost"
	// LocalHostKey: localhost=true marks a URL as local.
	LocalHostKey = "localhost"
	// BackupKey lists backup addresses, comma-separated.
	BackupKey = "backup"
	// MonitorKey is a monitor URL; a consumer URL drops it.
	MonitorKey = "monitor"
	// RegisterIPKey is the address a consumer registers from.
	RegisterIPKey = "register.ip"
	// ReferKey carries a consumer's parameters in a registry URL, as
	// Encode(ToQueryString(params)).
	ReferKey = "refer"
	// ExportKey carries a provider URL in a registry URL, as
	// Encode(provider.FullString()). (URL.ExportKey is unrelated: it builds
	// a provider's export key.)
	ExportKey = "export"
	// ExportParamKey is ExportKey under a name that cannot be read as the
	// method URL.ExportKey.
	ExportParamKey = ExportKey
	// PriorityKey orders routers and configurators.
	PriorityKey = "priority"
	// ForceKey: a router with force=true may leave no provider.
	ForceKey = "force"
	// RuntimeKey: a router with runtime=true routes every call anew.
	RuntimeKey = "runtime"
	// RuleKey carries a router's rule.
	RuleKey = "rule"
	// RouterKey names a router's type (condition, tag, ...).
	RouterKey = "router"
)

// DefaultKeyPrefix marks a default value: when a URL is parsed, "default.X"
// also sets X if X is not set (compatibility with Dubbo 2.6 registrations).
const DefaultKeyPrefix = "default."

// Special values.
const (
	// AnyValue matches anything in an interface, group, version, category,
	// classifier or enabled parameter.
	AnyValue = "*"
	// AnyHost is the host of URLs that stand for every host (empty://,
	// override://0.0.0.0).
	AnyHost = "0.0.0.0"
	// ConsumerSide and ProviderSide are the values of SideKey.
	ConsumerSide = "consumer"
	ProviderSide = "provider"
)

// Registry categories: the values of CategoryKey.
const (
	ProvidersCategory     = "providers"
	ConsumersCategory     = "consumers"
	RoutersCategory       = "routers"
	ConfiguratorsCategory = "configurators"
	// DefaultCategory is the category of a URL that has none.
	DefaultCategory = ProvidersCategory
)

// Protocols with a meaning of their own.
const (
	// DubboProtocol is the dubbo:// wire protocol, the default.
	DubboProtocol = "dubbo"
	// EmptyProtocol marks an empty category in a registry notification.
	EmptyProtocol = "empty"
	// OverrideProtocol marks a configurator that overrides parameters.
	OverrideProtocol = "override"
	// AbsentProtocol marks a configurator that adds absent parameters.
	AbsentProtocol = "absent"
	// RouteProtocol marks a routing rule in the registry.
	RouteProtocol = "route"
	// ConsumerProtocol is the protocol of a registered consumer URL.
	ConsumerProtocol = "consumer"
)

// Defaults of the invocation parameters.
const (
	DefaultTimeout     = 1000 * time.Millisecond
	DefaultRetries     = 2
	DefaultWeight      = 100
	DefaultWarmup      = 10 * time.Minute
	DefaultCluster     = "failover"
	DefaultLoadbalance = "random"
)
