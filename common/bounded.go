package common

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Counts and durations read from URLs follow Java Dubbo's rule for each key,
// and fall in two kinds:
//
//   - Positive values (timeout, connect.timeout, failbacktasks, hash.nodes,
//     shareconnections): 0 has no meaning, and a value <= 0 gives the
//     default, as Java's getPositiveParameter and getMethodPositiveParameter
//     do. An override with timeout=-1 therefore leaves calls on the default
//     timeout instead of failing each one.
//   - Non-negative values (retries, weight, warmup, forks, connections): 0
//     is meaningful (no retry, never picked while others weigh more, no
//     warm-up, all providers, shared connections), and Java reads a negative
//     value as 0 (FailoverClusterInvoker makes at least one attempt,
//     AbstractLoadBalance.getWeight returns max(weight, 0), a warm-up <= 0
//     never applies). A value < 0 gives 0.
//
// A malformed value gives the default in both kinds (Java throws, and the
// call fails; fleet keeps calling). The getters return, with the value to
// use, an error naming the key and the value whenever they replaced it
// (wrapping ErrNotPositive, ErrNegative or strconv's ErrSyntax/ErrRange), so
// that whoever reads the URL once (a directory, on each new provider URL) can
// log it; the value returned is usable either way. They do not allocate
// unless they return an error.

// ErrNotPositive is wrapped by the error of a Positive getter for a value <= 0.
var ErrNotPositive = errors.New("not positive")

// ErrNegative is wrapped by the error of a NonNegative getter for a value < 0.
var ErrNegative = errors.New("negative")

// ParamPositiveInt returns def when parameter key is absent, empty,
// malformed or <= 0, else its value; the error says why def replaced a
// value. def must be > 0 (else it is returned with an error).
func (u *URL) ParamPositiveInt(key string, def int) (int, error) {
	v, _ := u.Param(key)
	n, err := positiveInt(v, def)
	return n, boundedError(key, "", false, v, "integer", err)
}

// MethodParamPositiveInt is ParamPositiveInt on MethodParam(method, key).
func (u *URL) MethodParamPositiveInt(method, key string, def int) (int, error) {
	v, own := u.methodValue(method, key)
	n, err := positiveInt(v, def)
	return n, boundedError(key, method, own, v, "integer", err)
}

// ParamPositiveDuration is ParamDuration for values that must be > 0: a
// value <= 0 or malformed gives def, with an error saying so. def must be
// > 0 (else it is returned with an error).
func (u *URL) ParamPositiveDuration(key string, def time.Duration) (time.Duration, error) {
	v, _ := u.Param(key)
	d, err := positiveDuration(v, def)
	return d, boundedError(key, "", false, v, "duration", err)
}

// MethodParamPositiveDuration is ParamPositiveDuration on
// MethodParam(method, key): the method's timeout, for instance.
func (u *URL) MethodParamPositiveDuration(method, key string, def time.Duration) (time.Duration, error) {
	v, own := u.methodValue(method, key)
	d, err := positiveDuration(v, def)
	return d, boundedError(key, method, own, v, "duration", err)
}

// ParamNonNegativeInt returns def when parameter key is absent, empty or
// malformed, 0 when it is < 0, else its value; the error says why a value
// was replaced.
func (u *URL) ParamNonNegativeInt(key string, def int) (int, error) {
	v, _ := u.Param(key)
	n, err := nonNegativeInt(v, def)
	return n, boundedError(key, "", false, v, "integer", err)
}

// MethodParamNonNegativeInt is ParamNonNegativeInt on MethodParam(method,
// key): the method's retries or weight, for instance.
func (u *URL) MethodParamNonNegativeInt(method, key string, def int) (int, error) {
	v, own := u.methodValue(method, key)
	n, err := nonNegativeInt(v, def)
	return n, boundedError(key, method, own, v, "integer", err)
}

// ParamNonNegativeDuration is ParamDuration with a value < 0 read as 0 (and
// reported): the warm-up, for instance.
func (u *URL) ParamNonNegativeDuration(key string, def time.Duration) (time.Duration, error) {
	v, _ := u.Param(key)
	d, err := nonNegativeDuration(v, def)
	return d, boundedError(key, "", false, v, "duration", err)
}

// errBadDefault marks a default that breaks the getter's own rule.
var errBadDefault = errors.New("the default is not positive")

// boundedError names the key (the method's own when own) of a replaced
// value; nil when err is nil.
func boundedError(key, method string, own bool, v, kind string, err error) error {
	switch {
	case err == nil:
		return nil
	case err == errBadDefault:
		return fmt.Errorf("param %s: %w", methodKeyName(method, key, own), err)
	}
	return paramError(methodKeyName(method, key, own), v, kind, err)
}

// The functions below return the value to use and, when it is not v's, why.

func positiveInt(v string, def int) (int, error) {
	if def <= 0 {
		return def, errBadDefault
	}
	n, err := intValue(v, def)
	switch {
	case err != nil:
		return def, err
	case n <= 0:
		return def, ErrNotPositive
	}
	return n, nil
}

func positiveDuration(v string, def time.Duration) (time.Duration, error) {
	if def <= 0 {
		return def, errBadDefault
	}
	d, err := durationValue(v, def)
	switch {
	case err != nil:
		return def, err
	case d <= 0:
		return def, ErrNotPositive
	}
	return d, nil
}

func nonNegativeDuration(v string, def time.Duration) (time.Duration, error) {
	d, err := durationValue(v, def)
	switch {
	case err != nil:
		return def, err
	case d < 0:
		return 0, ErrNegative
	}
	return d, nil
}

func nonNegativeInt(v string, def int) (int, error) {
	n, err := intValue(v, def)
	switch {
	case err != nil:
		return def, err
	case n < 0:
		return 0, ErrNegative
	}
	return n, nil
}

// boundedKind is "duration" or "integer" for the bounded invocation
// parameters CheckBoundedParams checks, "" for any other key.
func boundedKind(key string) string {
	switch key {
	case TimeoutKey, WarmupKey:
		return "duration"
	case RetriesKey, WeightKey, ForksKey:
		return "integer"
	}
	return ""
}

// checkBounded says why the getters would replace v as the value of the
// bounded parameter key.
func checkBounded(key, v string) (err error) {
	switch key {
	case TimeoutKey:
		_, err = positiveDuration(v, DefaultTimeout)
	case WarmupKey:
		_, err = nonNegativeDuration(v, DefaultWarmup)
	default:
		_, err = nonNegativeInt(v, 1)
	}
	return err
}

// CheckBoundedParams calls report with the error of each parameter of u
// that the getters above would replace, among timeout, retries, weight,
// warmup and forks, URL-level or method-level (sayHello.timeout=-1): the
// problems a reader of u should log once, when u first arrives.
func (u *URL) CheckBoundedParams(report func(error)) {
	for i := range u.numParams() {
		k, v := u.keyAt(i), u.valueAt(i)
		base := k
		if j := strings.IndexByte(k, '.'); j >= 0 {
			base = k[j+1:]
			if boundedKind(base) == "" || !u.isMethod(k[:j]) {
				continue // not a bounded method parameter (by the rule of method.go)
			}
		}
		kind := boundedKind(base)
		if kind == "" || v == "" {
			continue
		}
		if err := checkBounded(base, v); err != nil {
			report(paramError(k, v, kind, err))
		}
	}
}
