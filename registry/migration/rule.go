package migration

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Rule is a migration rule as an operator writes it (Java's MigrationRule).
// A nil field is unset: the next source (a sub-rule, the rule, the
// reference's params, the default) decides. Rules are immutable once
// parsed.
type Rule struct {
	Key        string
	Step       Step     // "" unset
	Threshold  *float64 // ratio of application-level to interface-level providers
	Proportion *int     // percent of APPLICATION_FIRST calls sent to the preferred side
	Delay      *int     // seconds a forced switch waits for the new side's providers
	Force      *bool    // a forced switch skips the threshold check

	Interfaces   []SubRule // by the reference's interface[:version]
	Applications []SubRule // by the providers' application
}

// SubRule overrides the rule for one service (ServiceKey is
// interface[:version]) or one provider application (ServiceKey is its
// name), as Java's SubMigrationRule.
type SubRule struct {
	ServiceKey string
	Step       Step
	Threshold  *float64
	Proportion *int
	Delay      *int
	Force      *bool
}

// ErrEmpty is returned by Parse for a rule with no content; Java reads an
// empty rule as the absence of one.
var ErrEmpty = errors.New("migration: empty rule")

// Parse reads a rule's YAML. Unknown fields are ignored, as Java ignores
// them; a step that is not one of the three, a number that does not parse,
// a force that is not true or false, or a sub-rule without serviceKey is
// an error naming the field.
func Parse(content []byte) (*Rule, error) {
	if strings.TrimSpace(string(content)) == "" {
		return nil, ErrEmpty
	}
	var m map[string]any
	if err := yaml.Unmarshal(content, &m); err != nil {
		return nil, fmt.Errorf("migration: rule is not a YAML map: %w", err)
	}
	if m == nil {
		return nil, ErrEmpty
	}
	r := &Rule{}
	if v, ok := m["key"]; ok && v != nil {
		r.Key = fmt.Sprint(v)
	}
	var err error
	if r.Step, r.Threshold, r.Proportion, r.Delay, r.Force, err = parseValues(m, ""); err != nil {
		return nil, err
	}
	if r.Interfaces, err = parseSubRules(m, "interfaces"); err != nil {
		return nil, err
	}
	if r.Applications, err = parseSubRules(m, "applications"); err != nil {
		return nil, err
	}
	return r, nil
}

// parseValues reads step, threshold, proportion, delay and force from m;
// where prefixes the field names in errors.
func parseValues(m map[string]any, where string) (step Step, threshold *float64, proportion, delay *int, force *bool, err error) {
	if s, ok := scalar(m, "step"); ok {
		var perr error
		if step, perr = ParseStep(s); perr != nil {
			return "", nil, nil, nil, nil, fmt.Errorf("migration: %sstep %q is not a step (%s)", where, s, stepNames)
		}
	}
	if s, ok := scalar(m, "threshold"); ok {
		f, perr := strconv.ParseFloat(s, 64)
		if perr != nil {
			return "", nil, nil, nil, nil, fmt.Errorf("migration: %sthreshold %q is not a number", where, s)
		}
		threshold = &f
	}
	for _, f := range []struct {
		name string
		dst  **int
	}{{"proportion", &proportion}, {"delay", &delay}} {
		if s, ok := scalar(m, f.name); ok {
			n, perr := strconv.Atoi(s)
			if perr != nil {
				return "", nil, nil, nil, nil, fmt.Errorf("migration: %s%s %q is not an integer", where, f.name, s)
			}
			*f.dst = &n
		}
	}
	if s, ok := scalar(m, "force"); ok {
		b, perr := strconv.ParseBool(s)
		if perr != nil {
			return "", nil, nil, nil, nil, fmt.Errorf("migration: %sforce %q is not true or false", where, s)
		}
		force = &b
	}
	return step, threshold, proportion, delay, force, nil
}

// scalar returns m[key] as text; false when it is absent or null.
func scalar(m map[string]any, key string) (string, bool) {
	v, ok := m[key]
	if !ok || v == nil {
		return "", false
	}
	return strings.TrimSpace(fmt.Sprint(v)), true
}

// parseSubRules reads the list under key.
func parseSubRules(m map[string]any, key string) ([]SubRule, error) {
	v, ok := m[key]
	if !ok || v == nil {
		return nil, nil
	}
	list, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("migration: %s is not a list", key)
	}
	out := make([]SubRule, 0, len(list))
	for i, item := range list {
		where := fmt.Sprintf("%s[%d].", key, i)
		sm, ok := item.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("migration: %s is not a map", strings.TrimSuffix(where, "."))
		}
		sk, ok := scalar(sm, "serviceKey")
		if !ok || sk == "" {
			return nil, fmt.Errorf("migration: %sserviceKey is required", where)
		}
		s := SubRule{ServiceKey: sk}
		var err error
		if s.Step, s.Threshold, s.Proportion, s.Delay, s.Force, err = parseValues(sm, where); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}
