package common

import "strings"

// IsMatchGlobPattern reports whether value matches pattern (Java
// UrlUtils.isMatchGlobPattern). When param is not nil, a pattern "$name" is
// first replaced by param.RawParam(name). Then "*" matches anything; an empty
// pattern matches only an empty value and an empty value nothing else; only
// the last '*' is special: at the end it asks for a prefix, at the start for
// a suffix, in the middle for both (not checked for overlap, as Java); a
// pattern without '*' asks for equality. "v*", "*e" and "v*e" all match
// "value".
func IsMatchGlobPattern(pattern, value string, param *URL) bool {
	if param != nil && strings.HasPrefix(pattern, "$") {
		pattern = param.RawParam(pattern[1:])
	}
	if pattern == AnyValue {
		return true
	}
	if pattern == "" || value == "" {
		return pattern == value
	}
	i := strings.LastIndexByte(pattern, '*')
	switch {
	case i < 0:
		return value == pattern
	case i == len(pattern)-1:
		return strings.HasPrefix(value, pattern[:i])
	case i == 0:
		return strings.HasSuffix(value, pattern[1:])
	default:
		return strings.HasPrefix(value, pattern[:i]) && strings.HasSuffix(value, pattern[i+1:])
	}
}

// IsItemMatch reports whether value matches pattern (Java
// UrlUtils.isItemMatch), with "" standing for absent: an absent pattern
// matches only an absent value, "*" matches anything, else equality.
func IsItemMatch(pattern, value string) bool {
	if pattern == "" {
		return value == ""
	}
	return pattern == AnyValue || pattern == value
}

// IsMatchCategory reports whether category is among categories (Java
// UrlUtils.isMatchCategory): empty categories mean "providers"; a '*'
// anywhere matches all; a '-' anywhere makes it an exclusion list, matching
// unless it contains "-<category>"; otherwise categories must contain
// category as a substring.
func IsMatchCategory(category, categories string) bool {
	switch {
	case categories == "":
		return category == DefaultCategory
	case strings.Contains(categories, AnyValue):
		return true
	case strings.Contains(categories, "-"):
		return !strings.Contains(categories, "-"+category)
	default:
		return strings.Contains(categories, category)
	}
}

// IsMatch reports whether a registry notification of provider concerns a
// subscription of consumer (Java UrlUtils.isMatch). All must hold:
//
//   - interface: equal, or either side is "*";
//   - category: IsMatchCategory(provider category, consumer category), each
//     "providers" when absent;
//   - enabled: the provider is enabled (default true) or the consumer has
//     enabled=*;
//   - group: the consumer's is "*", or equals the provider's (both may be
//     absent), or is a comma list holding it;
//   - version: the consumer's is "*" or equals the provider's (absent is not
//     equal to present);
//   - classifier: the consumer's is absent or "*", or equals the provider's.
//
// So a consumer without group or version does not match a provider that has
// them. An empty parameter counts as absent.
func IsMatch(consumer, provider *URL) bool {
	ci, pi := consumer.ServiceInterface(), provider.ServiceInterface()
	if ci != AnyValue && pi != AnyValue && ci != pi {
		return false
	}
	if !IsMatchCategory(provider.Category(), consumer.Category()) {
		return false
	}
	if !provider.ParamBool(EnabledKey, true) && consumer.ParamOr(EnabledKey, "") != AnyValue {
		return false
	}
	cg, pg := consumer.Group(), provider.Group()
	if cg != AnyValue && cg != pg && (pg == "" || !listContains(cg, pg)) {
		return false
	}
	cv := consumer.Version()
	if cv != AnyValue && cv != provider.Version() {
		return false
	}
	cc := consumer.ParamOr(ClassifierKey, AnyValue)
	return cc == AnyValue || cc == provider.ParamOr(ClassifierKey, AnyValue)
}
