package config

import (
	"fmt"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/fleetrpc/fleet/common"
	regprotocol "github.com/fleetrpc/fleet/registry/protocol"
)

// ConfigCenterConfig is dubbo-go's config-center block: where governance
// rules (the keys dubbo-admin writes) are read from. It may also be written
// as one URL (config-center: zookeeper://127.0.0.1:2181?namespace=dubbo).
//
// Without the block, as Java Dubbo does, rules are read from the address
// of the registry a reference uses, when the program imports a config
// center of that registry's scheme (configcenter/zookeeper,
// configcenter/nacos).
type ConfigCenterConfig struct {
	Protocol  string            `yaml:"protocol"`  // zookeeper, nacos
	Address   string            `yaml:"address"`   // host:port, or a comma list (the others are backups)
	Namespace string            `yaml:"namespace"` // ZooKeeper: the root ("dubbo"); Nacos: the namespace id
	Group     string            `yaml:"group"`     // the rules' group (default "dubbo")
	Username  string            `yaml:"username"`
	Password  string            `yaml:"password"`
	Timeout   string            `yaml:"timeout"` // "5s" or milliseconds
	DataID    string            `yaml:"data-id"` // dubbo-go: the application's own configuration; not read
	AppID     string            `yaml:"app-id"`
	Cluster   string            `yaml:"cluster"`
	Params    map[string]string `yaml:"params"`
	// URL is set when the block was given as a URL string.
	URL string `yaml:"-"`
}

// UnmarshalYAML accepts the block and the URL form.
func (c *ConfigCenterConfig) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		c.URL = strings.TrimSpace(n.Value)
		return nil
	}
	type plain ConfigCenterConfig
	return n.Decode((*plain)(c))
}

// CenterURL returns the config center's URL: the URL given, or one built
// from the block's fields — protocol://[user:password@]address?backup=…
// &timeout=ms&namespace=…&group=… plus params.
func (c *ConfigCenterConfig) CenterURL() (*common.URL, error) {
	if c.URL != "" {
		u, err := common.Parse(c.URL)
		if err != nil {
			return nil, fmt.Errorf("config: config-center: %w", err)
		}
		return u, nil
	}
	params := map[string]string{}
	addrs := strings.Split(c.Address, ",")
	for i := range addrs {
		addrs[i] = strings.TrimSpace(addrs[i])
	}
	if len(addrs) > 1 {
		params[common.BackupKey] = strings.Join(addrs[1:], ",")
	}
	if ms, _ := millis(c.Timeout); ms > 0 {
		params[common.TimeoutKey] = strconv.FormatInt(ms, 10)
	}
	if c.Namespace != "" {
		params["namespace"] = c.Namespace
	}
	if c.Group != "" {
		params[common.GroupKey] = c.Group
	}
	for k, v := range c.Params {
		params[k] = v
	}
	u, err := common.Parse(c.Protocol + "://" + addrs[0])
	if err != nil {
		return nil, fmt.Errorf("config: config-center: %w", err)
	}
	u = u.WithParams(params)
	if c.Username != "" {
		u = u.WithUserInfo(c.Username, c.Password)
	}
	return u, nil
}

// validate checks the block (key is its YAML path).
func (c *ConfigCenterConfig) validate(key string) error {
	if c == nil {
		return nil
	}
	if c.URL != "" {
		if _, err := common.Parse(c.URL); err != nil {
			return invalid(key, c.URL, "is not a config-center URL: "+err.Error())
		}
		return nil
	}
	if c.Protocol == "" {
		return invalid(key+".protocol", c.Protocol, "is required (zookeeper, nacos)")
	}
	if c.Address == "" {
		return invalid(key+".address", c.Address, "is required (host:port)")
	}
	return checkDuration(key+".timeout", c.Timeout)
}

// configCenterOptions are the registry protocol's options for the
// config-center block: its URL when there is one.
func configCenterOptions(cfg *Config) []regprotocol.Option {
	if cfg.ConfigCenter == nil {
		return nil
	}
	u, err := cfg.ConfigCenter.CenterURL()
	if err != nil { // Load validated it; a Config built in code may not be
		return nil
	}
	return []regprotocol.Option{regprotocol.WithConfigCenterURL(u)}
}
