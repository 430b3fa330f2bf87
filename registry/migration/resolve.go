package migration

import (
	"fmt"
	"strconv"
	"time"

	"github.com/fleetrpc/fleet/common"
)

// Decision is what a reference does under a rule: its step and the
// values that govern it.
type Decision struct {
	Step       Step
	Threshold  float64       // ShouldMigrate's ratio (DefaultThreshold when unset)
	Proportion int           // percent of APPLICATION_FIRST calls to the preferred side
	Delay      time.Duration // a forced switch waits this long before comparing
	Force      bool          // a forced switch skips the comparison
}

// Resolve decides for the reference whose consumer URL is consumer, under
// rule (nil: no rule), with apps the provider applications known for it
// (its provided-by, its providers' application). Each value comes, as in
// Java's MigrationRule, from the first that sets it of: the rule's
// interfaces entry for the reference's interface[:version], its
// applications entry for one of apps, the rule itself, the consumer's
// migration.* params, the default (DefaultStep, DefaultThreshold,
// DefaultProportion, no delay, no force). A param that does not parse is
// an error naming it.
func Resolve(rule *Rule, consumer *common.URL, apps []string) (Decision, error) {
	var subs []*SubRule
	if rule != nil {
		key := DisplayServiceKey(consumer)
		for i := range rule.Interfaces {
			if rule.Interfaces[i].ServiceKey == key {
				subs = append(subs, &rule.Interfaces[i])
				break
			}
		}
		for _, app := range apps {
			for i := range rule.Applications {
				if app != "" && rule.Applications[i].ServiceKey == app {
					subs = append(subs, &rule.Applications[i])
				}
			}
		}
	}
	d := Decision{Step: DefaultStep, Threshold: -1, Proportion: DefaultProportion}

	step, ok := pick(subs, func(s *SubRule) (Step, bool) { return s.Step, s.Step != "" })
	switch {
	case ok:
		d.Step = step
	case rule != nil && rule.Step != "":
		d.Step = rule.Step
	default:
		if s, set := consumer.Param(StepKey); set && s != "" {
			st, err := ParseStep(s)
			if err != nil {
				return Decision{}, fmt.Errorf("migration: param %s %q is not a step (%s)", StepKey, s, stepNames)
			}
			d.Step = st
		}
	}

	th, ok := pick(subs, func(s *SubRule) (float64, bool) { return deref(s.Threshold) })
	switch {
	case ok:
		d.Threshold = th
	case rule != nil && rule.Threshold != nil:
		d.Threshold = *rule.Threshold
	default:
		if s, set := consumer.Param(ThresholdKey); set && s != "" {
			f, err := strconv.ParseFloat(s, 64)
			if err != nil {
				return Decision{}, fmt.Errorf("migration: param %s %q is not a number", ThresholdKey, s)
			}
			d.Threshold = f
		}
	}
	if d.Threshold < 0 { // Java: a negative threshold is unset
		d.Threshold = DefaultThreshold
	}

	var err error
	if d.Proportion, err = intValue(subs, rule, consumer, PromotionKey, DefaultProportion,
		func(s *SubRule) *int { return s.Proportion }, func(r *Rule) *int { return r.Proportion }); err != nil {
		return Decision{}, err
	}
	delay, err := intValue(subs, rule, consumer, DelayKey, 0,
		func(s *SubRule) *int { return s.Delay }, func(r *Rule) *int { return r.Delay })
	if err != nil {
		return Decision{}, err
	}
	if delay > 0 {
		d.Delay = time.Duration(delay) * time.Second
	}

	f, ok := pick(subs, func(s *SubRule) (bool, bool) { return deref(s.Force) })
	switch {
	case ok:
		d.Force = f
	case rule != nil && rule.Force != nil:
		d.Force = *rule.Force
	default:
		if s, set := consumer.Param(ForceKey); set && s != "" {
			b, err := strconv.ParseBool(s)
			if err != nil {
				return Decision{}, fmt.Errorf("migration: param %s %q is not true or false", ForceKey, s)
			}
			d.Force = b
		}
	}
	return d, nil
}

// DisplayServiceKey is Java's URL.getDisplayServiceKey, the key of a
// rule's interfaces entries: interface, or interface:version.
func DisplayServiceKey(u *common.URL) string {
	if v := u.Version(); v != "" {
		return u.ServiceInterface() + ":" + v
	}
	return u.ServiceInterface()
}

// pick returns the first value get finds set among subs.
func pick[T any](subs []*SubRule, get func(*SubRule) (T, bool)) (T, bool) {
	for _, s := range subs {
		if v, ok := get(s); ok {
			return v, true
		}
	}
	var zero T
	return zero, false
}

func deref[T any](p *T) (T, bool) {
	if p == nil {
		var zero T
		return zero, false
	}
	return *p, true
}

// intValue resolves an integer: sub-rules, the rule, the param key, def.
func intValue(subs []*SubRule, rule *Rule, consumer *common.URL, key string, def int,
	sub func(*SubRule) *int, top func(*Rule) *int) (int, error) {
	if v, ok := pick(subs, func(s *SubRule) (int, bool) { return deref(sub(s)) }); ok {
		return v, nil
	}
	if rule != nil {
		if v := top(rule); v != nil {
			return *v, nil
		}
	}
	s, set := consumer.Param(key)
	if !set || s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return 0, fmt.Errorf("migration: param %s %q is not an integer", key, s)
	}
	return n, nil
}
