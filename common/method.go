package common

import (
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Method parameters are keys "<method>.<key>", such as sayHello.timeout=3000.
// Which keys count follows Java Dubbo's method map (URL.toMethodParameters):
//
//   - when the URL has a non-empty "methods" parameter, only keys starting
//     with "<m>." for a method m of that comma list (split on ',' only, as
//     Java's StringUtils.splitToList; empty names ignored);
//   - otherwise every key with a '.' after its first character, split at
//     the first '.', so "default.timeout" is method "default" and
//     "reference.filter" method "reference" (harmless, but visible in
//     Methods).
//
// Dubbo-go's "methods.<m>.<key>" style is not Java's and is not understood.

// MethodParamStrict returns the value of key for method and whether it is
// present, without falling back to the URL-level parameter. It does not
// allocate.
func (u *URL) MethodParamStrict(method, key string) (string, bool) {
	if !u.isMethod(method) {
		return "", false
	}
	if !utf8.ValidString(method) {
		// compareJoined needs a valid prefix; such a name is not worth a
		// faster path.
		return u.Param(method + "." + key)
	}
	lo, hi := 0, u.numParams()
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		switch c := compareJoined(u.keyAt(m), method, key); {
		case c == 0:
			return u.valueAt(m), true
		case c < 0:
			lo = m + 1
		default:
			hi = m
		}
	}
	return "", false
}

// MethodParam returns the value of key for method when it is non-empty,
// else Param(key) (Java URL.getMethodParameter). With
// ?timeout=1000&sayHello.timeout=3000, MethodParam("sayHello", "timeout")
// is 3000 and MethodParam("sayBye", "timeout") 1000. It does not allocate.
func (u *URL) MethodParam(method, key string) (string, bool) {
	if v, ok := u.MethodParamStrict(method, key); ok && v != "" {
		return v, true
	}
	return u.Param(key)
}

// MethodParamOr returns MethodParam(method, key), or def when that is absent
// or empty.
func (u *URL) MethodParamOr(method, key, def string) string {
	if v, _ := u.MethodParam(method, key); v != "" {
		return v
	}
	return def
}

// MethodParamBool is ParamBool on MethodParam(method, key).
func (u *URL) MethodParamBool(method, key string, def bool) bool {
	v, _ := u.MethodParam(method, key)
	return boolValue(v, def)
}

// MethodParamInt is ParamInt on MethodParam(method, key).
func (u *URL) MethodParamInt(method, key string, def int) (int, error) {
	v, own := u.methodValue(method, key)
	n, err := intValue(v, def)
	if err != nil {
		return def, paramError(methodKeyName(method, key, own), v, "integer", err)
	}
	return n, nil
}

// MethodParamInt64 is ParamInt64 on MethodParam(method, key).
func (u *URL) MethodParamInt64(method, key string, def int64) (int64, error) {
	v, own := u.methodValue(method, key)
	n, err := int64Value(v, def)
	if err != nil {
		return def, paramError(methodKeyName(method, key, own), v, "integer", err)
	}
	return n, nil
}

// MethodParamDuration is ParamDuration on MethodParam(method, key): a bare
// integer is milliseconds, anything else Go duration syntax.
func (u *URL) MethodParamDuration(method, key string, def time.Duration) (time.Duration, error) {
	v, own := u.methodValue(method, key)
	d, err := durationValue(v, def)
	if err != nil {
		return def, paramError(methodKeyName(method, key, own), v, "duration", err)
	}
	return d, nil
}

// methodValue is MethodParam, also telling whether the value is the
// method's own.
func (u *URL) methodValue(method, key string) (v string, own bool) {
	if v, ok := u.MethodParamStrict(method, key); ok && v != "" {
		return v, true
	}
	v, _ = u.Param(key)
	return v, false
}

// methodKeyName names the key a value came from, for errors.
func methodKeyName(method, key string, own bool) string {
	if own {
		return method + "." + key
	}
	return key
}

// Methods returns the names of the methods that have method parameters, by
// the rule above, sorted and without duplicates.
func (u *URL) Methods() []string {
	var names []string
	if list, _ := u.Param(MethodsKey); list != "" {
		seen := map[string]bool{}
		for _, m := range strings.Split(list, ",") {
			if m == "" || seen[m] {
				continue
			}
			seen[m] = true
			if u.hasMethodKeys(m) {
				names = append(names, m)
			}
		}
	} else {
		for i := range u.numParams() {
			k := u.keyAt(i)
			if j := strings.IndexByte(k, '.'); j > 0 {
				names = append(names, k[:j])
			}
		}
	}
	return sortUnique(names)
}

// hasMethodKeys reports whether some key starts with m+".".
func (u *URL) hasMethodKeys(m string) bool {
	if !utf8.ValidString(m) {
		for i := range u.numParams() {
			if strings.HasPrefix(u.keyAt(i), m+".") {
				return true
			}
		}
		return false
	}
	// The keys starting with m+"." follow m+"." itself in the order.
	lo, hi := 0, u.numParams()
	for lo < hi {
		i := int(uint(lo+hi) >> 1)
		if compareJoined(u.keyAt(i), m, "") < 0 {
			lo = i + 1
		} else {
			hi = i
		}
	}
	if lo == u.numParams() {
		return false
	}
	rest, ok := cutPrefix(u.keyAt(lo), m)
	return ok && rest != "" && rest[0] == '.'
}

// isMethod reports whether method can have method parameters on u.
func (u *URL) isMethod(method string) bool {
	if method == "" {
		return false
	}
	if list, _ := u.Param(MethodsKey); list != "" {
		return commaListHas(list, method)
	}
	return strings.IndexByte(method, '.') < 0
}

// commaListHas reports whether item is one of the ','-separated items of
// list, compared exactly. item must not be empty.
func commaListHas(list, item string) bool {
	for i := 0; i < len(list); {
		j := strings.Index(list[i:], item)
		if j < 0 {
			return false
		}
		start, end := i+j, i+j+len(item)
		if (start == 0 || list[start-1] == ',') && (end == len(list) || list[end] == ',') {
			return true
		}
		i = start + 1
	}
	return false
}

// sortUnique sorts names in Java order and drops duplicates; nil stays nil.
func sortUnique(names []string) []string {
	slices.SortFunc(names, compareKeys)
	return slices.Compact(names)
}
