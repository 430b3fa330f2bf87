package common

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Param returns the value of parameter key and whether it is present. It
// does not allocate.
func (u *URL) Param(key string) (string, bool) {
	if u.sel == "" {
		if i, ok := searchParams(u.text, u.params, key); ok {
			p := u.params[i]
			return u.text[p.v0:p.v1], true
		}
		return "", false
	}
	if i, ok := u.search(key); ok {
		return u.valueAt(i), true
	}
	return "", false
}

// ParamOr returns the value of parameter key, or def when it is absent or
// empty.
func (u *URL) ParamOr(key, def string) string {
	if v, _ := u.Param(key); v != "" {
		return v
	}
	return def
}

// Has reports whether parameter key has a non-empty value.
func (u *URL) Has(key string) bool {
	v, _ := u.Param(key)
	return v != ""
}

// RawParam returns parameter key, except that "protocol", "username",
// "password", "host", "port" (as text, "0" when there is none) and "path"
// answer the URL's own parts (Java URL.getRawParameter). Routing rules and
// glob patterns such as "$host" use it.
func (u *URL) RawParam(key string) string {
	switch key {
	case ProtocolKey:
		return u.protocol
	case UsernameKey:
		return u.Username()
	case PasswordKey:
		return u.Password()
	case HostKey:
		return u.host
	case PortKey:
		return strconv.Itoa(u.port)
	case PathParamKey:
		return u.path
	}
	v, _ := u.Param(key)
	return v
}

// Params returns a fresh copy of the parameters; the caller owns it.
func (u *URL) Params() map[string]string {
	m := make(map[string]string, u.numParams())
	for i := range u.numParams() {
		m[u.keyAt(i)] = u.valueAt(i)
	}
	return m
}

// RangeParams calls fn for each parameter in key order (Java String order)
// until fn returns false.
func (u *URL) RangeParams(fn func(key, value string) bool) {
	for i := range u.numParams() {
		if !fn(u.keyAt(i), u.valueAt(i)) {
			return
		}
	}
}

// NumParams returns the number of parameters.
func (u *URL) NumParams() int { return u.numParams() }

// ParamBool returns def when parameter key is absent or empty, else whether
// it is "true" in any case (Java's Boolean.parseBoolean: "yes" and "1" are
// false).
func (u *URL) ParamBool(key string, def bool) bool {
	v, _ := u.Param(key)
	return boolValue(v, def)
}

// ParamInt returns def when parameter key is absent or empty, else its value
// as a decimal integer. A malformed value is an error (Java throws); def is
// returned with it.
func (u *URL) ParamInt(key string, def int) (int, error) {
	v, _ := u.Param(key)
	n, err := intValue(v, def)
	if err != nil {
		return def, paramError(key, v, "integer", err)
	}
	return n, nil
}

// ParamInt64 is ParamInt for int64.
func (u *URL) ParamInt64(key string, def int64) (int64, error) {
	v, _ := u.Param(key)
	n, err := int64Value(v, def)
	if err != nil {
		return def, paramError(key, v, "integer", err)
	}
	return n, nil
}

// ParamFloat returns def when parameter key is absent or empty, else its
// value parsed by strconv.ParseFloat. A malformed value is an error; def is
// returned with it.
func (u *URL) ParamFloat(key string, def float64) (float64, error) {
	v, _ := u.Param(key)
	if v == "" {
		return def, nil
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil {
		return def, paramError(key, v, "number", err)
	}
	return f, nil
}

// ParamDuration returns def when parameter key is absent or empty. A bare
// integer (digits, optionally signed) is a number of milliseconds, as Java
// Dubbo writes timeout=3000 and warmup=600000; anything else is read by
// time.ParseDuration ("3s", "1m30s"), as dubbo-go's configuration allows.
// A malformed value is an error; def is returned with it.
func (u *URL) ParamDuration(key string, def time.Duration) (time.Duration, error) {
	v, _ := u.Param(key)
	d, err := durationValue(v, def)
	if err != nil {
		return def, paramError(key, v, "duration", err)
	}
	return d, nil
}

// ParamList splits parameter key on commas and the blanks around them (Java
// \s*[,]+\s*, with String.split's rules: an empty first item is kept,
// trailing empty items are dropped). It returns nil when the value is absent
// or empty or holds only separators.
func (u *URL) ParamList(key string) []string {
	v, _ := u.Param(key)
	return splitList(v, isComma)
}

func boolValue(v string, def bool) bool {
	if v == "" {
		return def
	}
	return strings.EqualFold(v, "true")
}

// intValue, int64Value and durationValue return def for an empty value and
// strconv's error (or errBadDuration) for a malformed one; callers wrap it
// with paramError, naming the key.
func intValue(v string, def int) (int, error) {
	if v == "" {
		return def, nil
	}
	return strconv.Atoi(v)
}

func int64Value(v string, def int64) (int64, error) {
	if v == "" {
		return def, nil
	}
	return strconv.ParseInt(v, 10, 64)
}

func durationValue(v string, def time.Duration) (time.Duration, error) {
	if v == "" {
		return def, nil
	}
	if isDecimal(v) {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return 0, err
		}
		if n > math.MaxInt64/int64(time.Millisecond) || n < math.MinInt64/int64(time.Millisecond) {
			return 0, strconv.ErrRange
		}
		return time.Duration(n) * time.Millisecond, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		return 0, errBadDuration
	}
	return d, nil
}

var errBadDuration = errors.New("neither milliseconds nor a Go duration")

// isDecimal reports whether s is an optionally signed run of digits.
func isDecimal(s string) bool {
	if s != "" && (s[0] == '+' || s[0] == '-') {
		s = s[1:]
	}
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// paramError reports a malformed parameter value, wrapping strconv's
// ErrSyntax or ErrRange.
func paramError(key, v, kind string, err error) error {
	var ne *strconv.NumError
	if errors.As(err, &ne) {
		err = ne.Err
	}
	return fmt.Errorf("param %s: invalid %s %q: %w", key, kind, v, err)
}

func isComma(c byte) bool { return c == ',' }

// isJavaSpace reports whether c is in Java's regular expression class \s.
func isJavaSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'
}

// splitList splits s as Java's s.split("\\s*[SEP]+\\s*") does, with SEP the
// bytes for which isSep is true: separators are runs of SEP with the blanks
// around them; an empty leading item is kept, trailing empty items are
// dropped. It returns nil when no item is left.
func splitList(s string, isSep func(byte) bool) []string {
	if s == "" {
		return nil
	}
	var items []string
	rangeList(s, isSep, func(item string) bool {
		items = append(items, item)
		return true
	})
	for len(items) > 0 && items[len(items)-1] == "" {
		items = items[:len(items)-1]
	}
	if len(items) == 0 {
		return nil
	}
	return items
}

// rangeList calls fn with each item of s as splitList splits it, trailing
// empty items included, until fn returns false.
func rangeList(s string, isSep func(byte) bool, fn func(item string) bool) {
	start, i := 0, 0
	for i < len(s) {
		// A separator match starts here if blanks (maybe none) lead to SEP.
		j := i
		for j < len(s) && isJavaSpace(s[j]) {
			j++
		}
		if j == len(s) || !isSep(s[j]) {
			// No match can start anywhere in i..j: all reach s[j].
			i = max(j, i+1)
			continue
		}
		k := j
		for k < len(s) && isSep(s[k]) {
			k++
		}
		for k < len(s) && isJavaSpace(s[k]) {
			k++
		}
		if !fn(s[start:i]) {
			return
		}
		start, i = k, k
	}
	fn(s[start:])
}

// listContains reports whether the comma list (split like ParamList)
// holds value. It does not allocate.
func listContains(list, value string) bool {
	found := false
	rangeList(list, isComma, func(item string) bool {
		found = item == value
		return !found
	})
	return found
}
