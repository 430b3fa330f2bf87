package config

import (
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Config is a fleet configuration file: dubbo-go's schema under a top-level
// dubbo: key, so an existing dubbogo.yml loads unchanged. The zero value of
// every field is its documented default.
type Config struct {
	Application ApplicationConfig          `yaml:"application"`
	Registries  Registries                 `yaml:"registries"`
	Protocols   map[string]*ProtocolConfig `yaml:"protocols"`
	Consumer    ConsumerConfig             `yaml:"consumer"`
	Provider    ProviderConfig             `yaml:"provider"`
	Metrics     MetricsConfig              `yaml:"metrics"`
	Tracing     TracingConfig              `yaml:"tracing"`
	Admin       AdminConfig                `yaml:"admin"`
	// ConfigCenter is where governance rules are read (configcenter.go).
	ConfigCenter *ConfigCenterConfig `yaml:"config-center"`
}

// file is the document root.
type file struct {
	Dubbo Config `yaml:"dubbo"`
}

// ApplicationConfig names the program to the registry (the application param).
type ApplicationConfig struct {
	Name         string `yaml:"name"`
	Organization string `yaml:"organization"`
	Module       string `yaml:"module"`
	Group        string `yaml:"group"`
	Version      string `yaml:"version"`
	Owner        string `yaml:"owner"`
	Environment  string `yaml:"environment"`
	MetadataType string `yaml:"metadata-type"`
	// RegisterMode is where exports are registered (Java's
	// dubbo.application.register-mode): interface (fleet's default: the
	// registry's interface-level URL, as before), instance (the
	// application-level service-discovery-registry URL) or all (both).
	// A registry's registry-type, when interface or service, wins.
	RegisterMode string `yaml:"register-mode"`
	// ServiceDiscovery holds Java's
	// dubbo.application.service-discovery.migration: the migration step of
	// references that set none (FORCE_INTERFACE, APPLICATION_FIRST — the
	// default —, FORCE_APPLICATION).
	ServiceDiscovery ServiceDiscoveryConfig `yaml:"service-discovery"`
}

// ServiceDiscoveryConfig is the application's discovery settings.
type ServiceDiscoveryConfig struct {
	Migration string `yaml:"migration"`
}

// RegistryConfig is one registry, in dubbo-go's form (protocol, address, …) or as
// a plain registry URL.
type RegistryConfig struct {
	// ID is the registry's key in the registries map ("zk"), or
	// "registry-N" for the N-th entry of a list of URLs.
	ID           string            `yaml:"-"`
	Protocol     string            `yaml:"protocol"` // zookeeper, nacos, memory
	Address      string            `yaml:"address"`  // host:port, or a comma list (the first is the address, the others backups)
	Timeout      string            `yaml:"timeout"`  // session/connect timeout: "5s" or milliseconds
	Group        string            `yaml:"group"`    // the ZooKeeper root ("dubbo" when empty)
	Namespace    string            `yaml:"namespace"`
	Username     string            `yaml:"username"`
	Password     string            `yaml:"password"`
	TTL          string            `yaml:"ttl"`
	Zone         string            `yaml:"zone"`
	Weight       string            `yaml:"weight"`
	Preferred    bool              `yaml:"preferred"`
	Simplified   bool              `yaml:"simplified"`
	RegistryType string            `yaml:"registry-type"` // dubbo-go's: interface, service, all (url.go: ReferRegistryURLs, ExportRegistryURLs)
	Params       map[string]string `yaml:"params"`
	// URL is set when the registry was given as a URL string.
	URL string `yaml:"-"`
}

// Registries is the registries section: a map of id → Registry (dubbo-go),
// or a list of registry URLs (fleet's short form).
type Registries map[string]*RegistryConfig

// UnmarshalYAML accepts both forms.
func (r *Registries) UnmarshalYAML(n *yaml.Node) error {
	switch n.Kind {
	case yaml.SequenceNode:
		out := Registries{}
		for i, item := range n.Content {
			var s string
			if err := item.Decode(&s); err != nil {
				return err
			}
			id := "registry-" + strconv.Itoa(i)
			out[id] = &RegistryConfig{ID: id, URL: strings.TrimSpace(s)}
		}
		*r = out
		return nil
	default:
		var m map[string]*RegistryConfig
		if err := n.Decode(&m); err != nil {
			return err
		}
		for id, reg := range m {
			if reg == nil {
				reg = &RegistryConfig{}
				m[id] = reg
			}
			reg.ID = id
		}
		*r = m
		return nil
	}
}

// ProtocolConfig is a protocol a provider serves on.
type ProtocolConfig struct {
	Name   string            `yaml:"name"`
	IP     string            `yaml:"ip"`
	Port   string            `yaml:"port"`
	Params map[string]string `yaml:"params"`
}

// ConsumerConfig holds the references and their shared defaults.
type ConsumerConfig struct {
	RegistryIDs    StringList                  `yaml:"registry-ids"`
	Check          *bool                       `yaml:"check"`           // default true
	RequestTimeout string                      `yaml:"request-timeout"` // default 1000 ms (Dubbo's default; dubbo-go's is 3s)
	Protocol       string                      `yaml:"protocol"`
	Filter         string                      `yaml:"filter"`
	References     map[string]*ReferenceConfig `yaml:"references"`
}

// ReferenceConfig is one service the program calls.
type ReferenceConfig struct {
	// Name is the reference's key in the references map; dubbo-go proxy
	// structs return it from Reference().
	Name          string            `yaml:"-"`
	Interface     string            `yaml:"interface"`
	Protocol      string            `yaml:"protocol"` // default dubbo
	Group         string            `yaml:"group"`
	Version       string            `yaml:"version"`
	Cluster       string            `yaml:"cluster"`     // default failover
	Loadbalance   string            `yaml:"loadbalance"` // default random
	Retries       string            `yaml:"retries"`     // default 2
	Timeout       string            `yaml:"timeout"`     // default the consumer's request-timeout
	Sticky        bool              `yaml:"sticky"`
	Check         *bool             `yaml:"check"`
	URL           string            `yaml:"url"` // direct provider URLs, ; separated: bypasses the registries
	RegistryIDs   StringList        `yaml:"registry-ids"`
	Serialization string            `yaml:"serialization"`
	Generic       string            `yaml:"generic"`
	Filter        string            `yaml:"filter"`
	Methods       []*MethodConfig   `yaml:"methods"`
	Params        map[string]string `yaml:"params"`
}

// MethodConfig holds per-method settings of a reference or service.
type MethodConfig struct {
	Name        string `yaml:"name"`
	Retries     string `yaml:"retries"`
	Timeout     string `yaml:"timeout"`
	Loadbalance string `yaml:"loadbalance"`
	Weight      string `yaml:"weight"`
	Sticky      bool   `yaml:"sticky"`
}

// ProviderConfig holds the services the program exports.
type ProviderConfig struct {
	RegistryIDs StringList                `yaml:"registry-ids"`
	ProtocolIDs StringList                `yaml:"protocol-ids"`
	Filter      string                    `yaml:"filter"`
	Register    *bool                     `yaml:"register"`
	Services    map[string]*ServiceConfig `yaml:"services"`
}

// ServiceConfig is one service the program exports.
type ServiceConfig struct {
	Name          string            `yaml:"-"`
	Interface     string            `yaml:"interface"`
	Group         string            `yaml:"group"`
	Version       string            `yaml:"version"`
	ProtocolIDs   StringList        `yaml:"protocol-ids"`
	RegistryIDs   StringList        `yaml:"registry-ids"`
	Cluster       string            `yaml:"cluster"`
	Loadbalance   string            `yaml:"loadbalance"`
	Retries       string            `yaml:"retries"`
	Timeout       string            `yaml:"timeout"`
	Weight        string            `yaml:"weight"`
	Warmup        string            `yaml:"warmup"`
	Token         string            `yaml:"token"`
	Serialization string            `yaml:"serialization"`
	Methods       []*MethodConfig   `yaml:"methods"`
	Params        map[string]string `yaml:"params"`
}

// StringList is a list written either as a YAML sequence or as one
// comma-separated string ("zk1,zk2"), as dubbo-go accepts both.
type StringList []string

// UnmarshalYAML accepts both forms.
func (l *StringList) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		var out StringList
		for _, s := range strings.Split(n.Value, ",") {
			if s = strings.TrimSpace(s); s != "" {
				out = append(out, s)
			}
		}
		*l = out
		return nil
	}
	var out []string
	if err := n.Decode(&out); err != nil {
		return err
	}
	*l = out
	return nil
}
