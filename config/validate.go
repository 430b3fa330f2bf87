package config

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/fleetrpc/fleet/common"
)

// ValidationError is an invalid setting: where it is and what is wrong.
type ValidationError struct {
	File   string // the file, as given to Load
	Line   int    // the line of the key, 0 when unknown
	Key    string // the YAML path: dubbo.consumer.references.Greeter.retries
	Value  string
	Reason string
}

func (e *ValidationError) Error() string {
	loc := e.File
	if e.Line > 0 {
		loc = fmt.Sprintf("%s:%d", e.File, e.Line)
	}
	if loc != "" {
		loc += ": "
	}
	return fmt.Sprintf("config: %s%s: %q %s", loc, e.Key, e.Value, e.Reason)
}

func invalid(key, value, reason string) error {
	return &ValidationError{Key: key, Value: value, Reason: reason}
}

// validate checks every setting; the first problem is returned.
func (c *Config) validate() error {
	if err := c.validateObservability(); err != nil {
		return err
	}
	if err := c.ConfigCenter.validate("dubbo.config-center"); err != nil {
		return err
	}
	for _, id := range sortedKeys(c.Registries) {
		if err := c.Registries[id].validate("dubbo.registries." + id); err != nil {
			return err
		}
		if err := c.Registries[id].validateRegistryType("dubbo.registries." + id); err != nil {
			return err
		}
	}
	if err := c.validateDiscovery(); err != nil {
		return err
	}
	if err := c.checkIDs("dubbo.consumer.registry-ids", c.Consumer.RegistryIDs); err != nil {
		return err
	}
	if err := checkDuration("dubbo.consumer.request-timeout", c.Consumer.RequestTimeout); err != nil {
		return err
	}
	for _, name := range sortedKeys(c.Consumer.References) {
		r := c.Consumer.References[name]
		key := "dubbo.consumer.references." + name
		if strings.TrimSpace(r.Interface) == "" {
			return invalid(key+".interface", r.Interface, "is required: the Java interface name the providers register")
		}
		if err := checkInt(key+".retries", r.Retries); err != nil {
			return err
		}
		if err := checkDuration(key+".timeout", r.Timeout); err != nil {
			return err
		}
		if err := c.checkIDs(key+".registry-ids", r.RegistryIDs); err != nil {
			return err
		}
		for _, u := range splitURLs(r.URL) {
			if _, err := common.Parse(u); err != nil {
				return invalid(key+".url", r.URL, "is not a provider or registry URL: "+err.Error())
			}
		}
		if err := checkMethods(key, r.Methods); err != nil {
			return err
		}
	}
	for _, name := range sortedKeys(c.Provider.Services) {
		s := c.Provider.Services[name]
		key := "dubbo.provider.services." + name
		if strings.TrimSpace(s.Interface) == "" {
			return invalid(key+".interface", s.Interface, "is required: the Java interface name to register")
		}
		for _, k := range []struct{ key, v string }{{".retries", s.Retries}, {".weight", s.Weight}} {
			if err := checkInt(key+k.key, k.v); err != nil {
				return err
			}
		}
		for _, k := range []struct{ key, v string }{{".timeout", s.Timeout}, {".warmup", s.Warmup}} {
			if err := checkDuration(key+k.key, k.v); err != nil {
				return err
			}
		}
		if err := c.checkIDs(key+".registry-ids", s.RegistryIDs); err != nil {
			return err
		}
		if err := checkMethods(key, s.Methods); err != nil {
			return err
		}
	}
	for _, id := range sortedKeys(c.Protocols) {
		p := c.Protocols[id]
		if p == nil || p.Port == "" {
			continue
		}
		if n, err := strconv.Atoi(p.Port); err != nil || n < 0 || n > 65535 {
			return invalid("dubbo.protocols."+id+".port", p.Port, "is not a port number (0-65535)")
		}
	}
	return nil
}

func (r *RegistryConfig) validate(key string) error {
	if r.URL != "" {
		if _, err := common.Parse(r.URL); err != nil {
			return invalid(key, r.URL, "is not a registry URL: "+err.Error())
		}
		return nil
	}
	if r.Protocol == "" {
		return invalid(key+".protocol", r.Protocol, "is required (zookeeper, nacos, memory)")
	}
	if r.Address == "" && r.Protocol != "memory" {
		return invalid(key+".address", r.Address, "is required (host:port)")
	}
	if err := checkDuration(key+".timeout", r.Timeout); err != nil {
		return err
	}
	return checkInt(key+".weight", r.Weight)
}

func (c *Config) checkIDs(key string, ids []string) error {
	for _, id := range ids {
		if _, ok := c.Registries[id]; !ok {
			return invalid(key, id, fmt.Sprintf("names no registry (have %v)", sortedKeys(c.Registries)))
		}
	}
	return nil
}

func checkMethods(key string, methods []*MethodConfig) error {
	for i, m := range methods {
		mk := fmt.Sprintf("%s.methods[%d]", key, i)
		if m == nil || strings.TrimSpace(m.Name) == "" {
			return invalid(mk, "", "needs a name")
		}
		for _, k := range []struct{ key, v string }{{".retries", m.Retries}, {".weight", m.Weight}} {
			if err := checkInt(mk+k.key, k.v); err != nil {
				return err
			}
		}
		if err := checkDuration(mk+".timeout", m.Timeout); err != nil {
			return err
		}
	}
	return nil
}

func checkInt(key, v string) error {
	if v == "" {
		return nil
	}
	if _, err := strconv.Atoi(strings.TrimSpace(v)); err != nil {
		return invalid(key, v, "is not an integer")
	}
	return nil
}

func checkDuration(key, v string) error {
	if _, err := millis(v); err != nil {
		return invalid(key, v, "is not a duration (milliseconds, or Go syntax such as 3s)")
	}
	return nil
}

// millis reads a duration as Dubbo writes it (milliseconds: 3000) or as
// dubbo-go does (3s), and returns milliseconds; "" is 0.
func millis(v string) (int64, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, nil
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n < 0 {
			return 0, fmt.Errorf("negative duration %q", v)
		}
		return n, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("invalid duration %q", v)
	}
	return d.Milliseconds(), nil
}

// splitURLs splits a url setting on ; (with blanks), as Dubbo does.
func splitURLs(s string) []string {
	var out []string
	for _, u := range strings.Split(s, ";") {
		if u = strings.TrimSpace(u); u != "" {
			out = append(out, u)
		}
	}
	return out
}
