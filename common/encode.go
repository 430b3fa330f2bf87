package common

import (
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"
)

const upperHex = "0123456789ABCDEF"

// shouldEscape reports whether Java's URLEncoder escapes byte c: everything
// but A-Z a-z 0-9 . - * _ (a space becomes '+').
func shouldEscape(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return false
	case c == '.', c == '-', c == '*', c == '_':
		return false
	}
	return true
}

// Encode encodes s as Java's URLEncoder.encode(s, "UTF-8") does (form
// encoding): A-Z a-z 0-9 . - * _ are kept, a space becomes '+', every other
// byte becomes %XX with upper-case hex (':' %3A, '/' %2F, '?' %3F, '=' %3D,
// '&' %26, ',' %2C, '~' %7E, "中" %E4%B8%AD). It works on the bytes of s, so
// bytes that are not UTF-8 are escaped one by one (and Decode rejects them).
func Encode(s string) string {
	n := 0
	for i := 0; i < len(s); i++ {
		if c := s[i]; shouldEscape(c) && c != ' ' {
			n++
		}
	}
	if n == 0 && strings.IndexByte(s, ' ') < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 2*n)
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == ' ':
			b.WriteByte('+')
		case shouldEscape(c):
			b.WriteByte('%')
			b.WriteByte(upperHex[c>>4])
			b.WriteByte(upperHex[c&15])
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// Decode decodes s as Java's URLDecoder.decode(s, "UTF-8") does: '+' is a
// space and %XX (either case) is a byte; the result must be UTF-8. Unlike
// URLDecoder, which substitutes U+FFFD, bytes that are not UTF-8 are an
// error, as they are for Dubbo's URLStrParser. Errors are *ParseError:
//
//	unterminated escape sequence at index 3 of: "a%2"
//	invalid escape sequence "%zz" at index 0 of: "%zz"
//	invalid UTF-8 after decoding: "%FF"
func Decode(s string) (string, error) {
	i := strings.IndexAny(s, "%+")
	if i < 0 {
		if !utf8.ValidString(s) {
			return "", &ParseError{Input: s, Reason: "invalid UTF-8 after decoding"}
		}
		return s, nil
	}
	var b strings.Builder
	b.Grow(len(s))
	lit := 0 // start of the run of bytes copied as they are
	for i < len(s) {
		switch s[i] {
		case '+':
			b.WriteString(s[lit:i])
			b.WriteByte(' ')
			i++
			lit = i
		case '%':
			if i+2 >= len(s) {
				return "", &ParseError{Input: s, Reason: fmt.Sprintf("unterminated escape sequence at index %d of", i)}
			}
			hi, ok1 := unhex(s[i+1])
			lo, ok2 := unhex(s[i+2])
			if !ok1 || !ok2 {
				return "", &ParseError{Input: s, Reason: fmt.Sprintf("invalid escape sequence %q at index %d of", s[i:i+3], i)}
			}
			b.WriteString(s[lit:i])
			b.WriteByte(hi<<4 | lo)
			i += 3
			lit = i
		default:
			i++
		}
	}
	b.WriteString(s[lit:])
	d := b.String()
	if !utf8.ValidString(d) {
		return "", &ParseError{Input: s, Reason: "invalid UTF-8 after decoding"}
	}
	return d, nil
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// ToQueryString renders params as Dubbo's StringUtils.toQueryString does:
// keys sorted (Java order), entries with an empty key or value skipped,
// key=value joined by '&', nothing escaped or trimmed. It is the text that
// refer= carries, encoded.
func ToQueryString(params map[string]string) string {
	keys := make([]string, 0, len(params))
	n := 0
	for k, v := range params {
		if k != "" && v != "" {
			keys = append(keys, k)
			n += len(k) + len(v) + 2
		}
	}
	slices.SortFunc(keys, compareKeys)
	var b strings.Builder
	b.Grow(n)
	for i, k := range keys {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(params[k])
	}
	return b.String()
}

// ParseQueryString parses a query string as Dubbo's
// StringUtils.parseQueryString does, which is stricter than Parse: items
// split on '&' only and must match ^[_.a-zA-Z0-9][-_.a-zA-Z0-9]*=(.*)$; an
// item without '=', with another character in its key, or (as Java's '.'
// does not match them) with a line terminator in its value is dropped
// silently. Values are kept as they are; a later duplicate wins. The result
// is never nil.
func ParseQueryString(s string) map[string]string {
	m := make(map[string]string, strings.Count(s, "&")+1)
	for s != "" {
		var item string
		item, s, _ = strings.Cut(s, "&")
		key, value, ok := strings.Cut(item, "=")
		if ok && isQueryKey(key) && !hasLineTerminator(value) {
			m[key] = value
		}
	}
	return m
}

func isQueryKey(k string) bool {
	if k == "" || k[0] == '-' {
		return false
	}
	for i := 0; i < len(k); i++ {
		switch c := k[i]; {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case c == '_', c == '.', c == '-':
		default:
			return false
		}
	}
	return true
}

// hasLineTerminator reports whether s holds one of the characters a Java
// regular expression '.' does not match: \n \r U+0085 U+2028 U+2029.
func hasLineTerminator(s string) bool {
	return strings.ContainsAny(s, "\n\r\u0085\u2028\u2029")
}
