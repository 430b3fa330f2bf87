package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"reflect"
	"regexp"
	"strings"

	"gopkg.in/yaml.v3"
)

// PathEnv and DubboGoPathEnv name the environment variables LoadDefault
// reads the configuration path from, in this order.
const (
	PathEnv        = "FLEET_CONFIG"
	DubboGoPathEnv = "DUBBO_GO_CONFIG_PATH"
)

// LoadOption configures Load and LoadBytes.
type LoadOption func(*loadOptions)

type loadOptions struct {
	logger *slog.Logger
	env    func(string) (string, bool)
}

// WithLogger sets the logger that receives warnings about unknown keys
// (default slog.Default()).
func WithLogger(l *slog.Logger) LoadOption { return func(o *loadOptions) { o.logger = l } }

// WithEnv sets where ${VAR} placeholders are looked up (default
// os.LookupEnv).
func WithEnv(lookup func(string) (string, bool)) LoadOption {
	return func(o *loadOptions) { o.env = lookup }
}

// Load reads and validates the configuration file at path. See LoadBytes.
func Load(path string, opts ...LoadOption) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	return LoadBytes(path, data, opts...)
}

// LoadDefault loads the file named by $FLEET_CONFIG, else by
// $DUBBO_GO_CONFIG_PATH, else ./dubbogo.yml.
func LoadDefault(opts ...LoadOption) (*Config, error) {
	for _, env := range []string{PathEnv, DubboGoPathEnv} {
		if p := os.Getenv(env); p != "" {
			return Load(p, opts...)
		}
	}
	return Load("dubbogo.yml", opts...)
}

// LoadBytes parses and validates a configuration; name (a file path) only
// labels errors and warnings.
//
// Scalar values may use environment placeholders: ${VAR}, or ${VAR:default}
// when VAR may be unset; an unset VAR without a default is an error. Keys
// fleet does not know are logged as warnings with their line and ignored.
// A value of the wrong type or an invalid setting fails with the file,
// line and key.
func LoadBytes(name string, data []byte, opts ...LoadOption) (*Config, error) {
	o := loadOptions{logger: slog.Default(), env: os.LookupEnv}
	for _, opt := range opts {
		opt(&o)
	}
	var root yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&root); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("config: %s: empty configuration", name)
		}
		return nil, fmt.Errorf("config: %s: %w", name, err)
	}
	if err := expandEnv(&root, o.env); err != nil {
		return nil, fmt.Errorf("config: %s: %w", name, err)
	}
	lines := map[string]int{}
	walkKeys(&root, reflect.TypeFor[file](), "", lines, func(path string, line int) {
		o.logger.Warn("unknown configuration key ignored", "file", name, "line", line, "key", path)
	})
	var f file
	if err := root.Decode(&f); err != nil {
		return nil, fmt.Errorf("config: %s: %w", name, err)
	}
	cfg := &f.Dubbo
	cfg.fillNames()
	if err := cfg.validate(); err != nil {
		var ve *ValidationError
		if errors.As(err, &ve) {
			ve.File = name
			ve.Line = lineOf(lines, ve.Key)
		}
		return nil, err
	}
	return cfg, nil
}

// lineOf is the line of key, or of its nearest parent when the key itself
// is absent (a missing required setting).
func lineOf(lines map[string]int, key string) int {
	for key != "" {
		if l, ok := lines[key]; ok {
			return l
		}
		i := strings.LastIndexAny(key, ".[")
		if i < 0 {
			break
		}
		key = key[:i]
	}
	return 0
}

func (c *Config) fillNames() {
	for name, r := range c.Consumer.References {
		if r == nil {
			r = &ReferenceConfig{}
			c.Consumer.References[name] = r
		}
		r.Name = name
	}
	for name, s := range c.Provider.Services {
		if s == nil {
			s = &ServiceConfig{}
			c.Provider.Services[name] = s
		}
		s.Name = name
	}
}

var placeholder = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_.]*)(?::([^}]*))?\}`)

// expandEnv replaces ${VAR} and ${VAR:default} in every scalar value.
func expandEnv(n *yaml.Node, lookup func(string) (string, bool)) error {
	if n.Kind == yaml.ScalarNode && strings.Contains(n.Value, "${") {
		var missing []string
		n.Value = placeholder.ReplaceAllStringFunc(n.Value, func(m string) string {
			parts := placeholder.FindStringSubmatch(m)
			if v, ok := lookup(parts[1]); ok {
				return v
			}
			if strings.Contains(m, ":") {
				return parts[2]
			}
			missing = append(missing, parts[1])
			return m
		})
		if len(missing) > 0 {
			return fmt.Errorf("line %d: environment variable %s is not set", n.Line, missing[0])
		}
		if n.Tag == "!!str" || n.Style != 0 {
			return nil
		}
		n.Tag = "" // let the expanded text be read as what it looks like
	}
	for _, c := range n.Content {
		if err := expandEnv(c, lookup); err != nil {
			return err
		}
	}
	return nil
}

// walkKeys visits the mapping keys of n against the Go type t, recording
// the line of every known key path (dubbo.consumer.references.Greeter.retries)
// and reporting unknown ones.
func walkKeys(n *yaml.Node, t reflect.Type, path string, lines map[string]int, unknown func(string, int)) {
	if n.Kind == yaml.DocumentNode {
		for _, c := range n.Content {
			walkKeys(c, t, path, lines, unknown)
		}
		return
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case t.Kind() == reflect.Struct && n.Kind == yaml.MappingNode:
		fields := yamlFields(t)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			p := join(path, k.Value)
			ft, ok := fields[k.Value]
			if !ok {
				unknown(p, k.Line)
				continue
			}
			lines[p] = k.Line
			walkKeys(v, ft, p, lines, unknown)
		}
	case t.Kind() == reflect.Map && n.Kind == yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			p := join(path, k.Value)
			lines[p] = k.Line
			walkKeys(v, t.Elem(), p, lines, unknown)
		}
	case t.Kind() == reflect.Slice && n.Kind == yaml.SequenceNode:
		for i, v := range n.Content {
			p := fmt.Sprintf("%s[%d]", path, i)
			lines[p] = v.Line
			walkKeys(v, t.Elem(), p, lines, unknown)
		}
	}
}

func yamlFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "" || name == "-" {
			continue
		}
		out[name] = f.Type
	}
	return out
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}
