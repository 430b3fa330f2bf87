package condition

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// ErrBlankRule is the error for a rule that is empty or blank. Its text is
// Java Dubbo's.
var ErrBlankRule = errors.New("Illegal route rule!") //nolint:staticcheck // Java's wording, kept verbatim

// SyntaxError is a rule that does not parse: a separator other than '=',
// '!=', ',' or '&' before a token, '=' or '!=' before any key, or ','
// before any value. Error returns Java Dubbo's wording:
//
//	Illegal route rule "host == 1.2.3.4", The error char '==' at index 5 before "1.2.3.4".
type SyntaxError struct {
	Rule      string // the whole rule, as given
	Side      string // the "when" or "then" text the error is in, trimmed
	Separator string // the offending separator
	Index     int    // where Separator starts in Side, in UTF-16 units (Java's index)
	Content   string // the token after Separator
}

func (e *SyntaxError) Error() string {
	// Java concatenates: nothing is quoted or escaped.
	return "Illegal route rule \"" + e.Side + "\", The error char '" + e.Separator +
		"' at index " + strconv.Itoa(e.Index) + " before \"" + e.Content + "\"."
}

// Rule is a parsed condition rule. It is immutable and safe for concurrent
// use.
type Rule struct {
	text string
	// when is nil when the rule has no "when" side (or it is "true"): every
	// consumer matches. A non-nil empty when ("&") matches every consumer too.
	when condition
	// then is nil for a blacklist (no "then" side, or "false"): matching
	// consumers reach no provider. A non-nil empty then matches no provider.
	then      condition
	blacklist bool
}

// ParseRule parses a condition rule (rules.md §1.2): "consumer." and
// "provider." are deleted everywhere, the text is split at the first "=>"
// into when and then (no "=>": all of it is then), a blank or "true" when
// matches every consumer, a blank or "false" then is a blacklist. A blank
// rule is ErrBlankRule (wrapped, naming the rule); a malformed side is a
// *SyntaxError.
func ParseRule(rule string) (*Rule, error) {
	if javaTrim(rule) == "" {
		return nil, fmt.Errorf("condition rule %q: %w", rule, ErrBlankRule)
	}
	s := strings.ReplaceAll(rule, "consumer.", "")
	s = strings.ReplaceAll(s, "provider.", "")
	var whenText, thenText string
	hasWhen := false
	if i := strings.Index(s, "=>"); i >= 0 {
		whenText, thenText, hasWhen = javaTrim(s[:i]), javaTrim(s[i+2:]), true
	} else {
		thenText = javaTrim(s)
	}
	r := &Rule{text: rule}
	if hasWhen && !isJavaBlank(whenText) && whenText != "true" {
		c, err := parseSide(rule, whenText)
		if err != nil {
			return nil, err
		}
		r.when = c
	}
	if isJavaBlank(thenText) || thenText == "false" {
		r.blacklist = true
	} else {
		c, err := parseSide(rule, thenText)
		if err != nil {
			return nil, err
		}
		if c == nil {
			c = condition{}
		}
		r.then = c
	}
	return r, nil
}

// String returns the rule as it was given to ParseRule.
func (r *Rule) String() string { return r.text }

// Blacklist reports whether the rule sends matching consumers nowhere (its
// then side is blank or "false").
func (r *Rule) Blacklist() bool { return r.blacklist }

// parseSide parses one side of a rule into its conditions, as Java's
// ConditionRouter.parseRule does, quirks included: a key without a
// separator starts a fresh entry (replacing one of the same name), '&'
// reuses an existing entry, and ',' adds to the value set last added to,
// which need not belong to the current key.
func parseSide(rule, side string) (condition, error) {
	var (
		cond   condition
		pair   *matchPair
		values *[]string
	)
	syntaxError := func(t token) error {
		return &SyntaxError{Rule: rule, Side: side, Separator: t.sep, Index: utf16Len(side[:t.start]), Content: t.content}
	}
	for p := 0; ; {
		t, ok := nextToken(side, p)
		if !ok {
			break
		}
		p = t.end
		switch t.sep {
		case "":
			pair = &matchPair{}
			cond = cond.put(t.content, pair)
		case "&":
			if existing := cond.get(t.content); existing != nil {
				pair = existing
			} else {
				pair = &matchPair{}
				cond = cond.put(t.content, pair)
			}
		case "=":
			if pair == nil {
				return nil, syntaxError(t)
			}
			values = &pair.matches
			*values = append(*values, t.content)
		case "!=":
			if pair == nil {
				return nil, syntaxError(t)
			}
			values = &pair.mismatches
			*values = append(*values, t.content)
		case ",":
			if values == nil || len(*values) == 0 {
				return nil, syntaxError(t)
			}
			*values = append(*values, t.content)
		default:
			return nil, syntaxError(t)
		}
	}
	return cond, nil
}

// token is one match of Java's ([&!=,]*)\s*([^&!=,\s]+) in a side.
type token struct {
	sep, content string
	start, end   int // of the whole match (start is where sep starts)
}

// nextToken finds the leftmost match of ([&!=,]*)\s*([^&!=,\s]+) at or
// after p, as java.util.regex.Matcher.find does: a run of separators and
// blanks not followed by a token is skipped.
func nextToken(s string, p int) (token, bool) {
	for p < len(s) {
		q := p
		for q < len(s) && isSep(s[q]) {
			q++
		}
		r := q
		for r < len(s) && isRegexSpace(s[r]) {
			r++
		}
		if r < len(s) && !isSep(s[r]) {
			e := r
			for e < len(s) && !isSep(s[e]) && !isRegexSpace(s[e]) {
				e++
			}
			return token{sep: s[p:q], content: s[r:e], start: p, end: e}, true
		}
		// Every start in [p, r) fails the same way; s[r] is a separator.
		p = r
	}
	return token{}, false
}

func isSep(c byte) bool { return c == '&' || c == '!' || c == '=' || c == ',' }

// isRegexSpace is Java regex \s: [ \t\n\x0B\f\r].
func isRegexSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'
}

// javaTrim is Java's String.trim: it removes the bytes <= ' ' at both ends.
func javaTrim(s string) string {
	i, j := 0, len(s)
	for i < j && s[i] <= ' ' {
		i++
	}
	for j > i && s[j-1] <= ' ' {
		j--
	}
	return s[i:j]
}

// isJavaBlank is Dubbo's StringUtils.isBlank: empty, or only characters
// for which Java's Character.isWhitespace holds.
func isJavaBlank(s string) bool {
	for _, r := range s {
		if !isJavaWhitespace(r) {
			return false
		}
	}
	return true
}

// isJavaWhitespace is Java's Character.isWhitespace: Unicode space
// separators other than the no-break ones, and \t \n \v \f \r \x1c-\x1f.
func isJavaWhitespace(r rune) bool {
	switch {
	case r >= '\t' && r <= '\r', r >= 0x1c && r <= 0x1f:
		return true
	case r == 0xa0 || r == 0x2007 || r == 0x202f:
		return false
	}
	return unicode.In(r, unicode.Zs, unicode.Zl, unicode.Zp)
}

// utf16Len is the length of s in UTF-16 units, Java's string index; a byte
// that is not UTF-8 counts as one unit (U+FFFD).
func utf16Len(s string) int {
	n := 0
	for len(s) > 0 {
		r, size := utf8.DecodeRuneInString(s)
		s = s[size:]
		if r > 0xffff {
			n += 2
		} else {
			n++
		}
	}
	return n
}

// condition is one side of a rule: keys with their match and mismatch
// values, in the order the keys first appeared. Keys are unique.
type condition []*keyCondition

type keyCondition struct {
	key  string
	kind sampleKind
	arg  int // the N of arguments[N]; -1 when the key names no argument
	pair *matchPair
}

// matchPair is Java's MatchPair: the values a sample must match (any) and
// must not match (none), as globs.
type matchPair struct {
	matches, mismatches []string
}

func (c condition) get(key string) *matchPair {
	for _, k := range c {
		if k.key == key {
			return k.pair
		}
	}
	return nil
}

// put sets key's pair, replacing an existing one in place.
func (c condition) put(key string, p *matchPair) condition {
	for _, k := range c {
		if k.key == key {
			k.pair = p
			return c
		}
	}
	kind, arg := classify(key)
	return append(c, &keyCondition{key: key, kind: kind, arg: arg, pair: p})
}

// sampleKind says where a key's sample value comes from.
type sampleKind uint8

const (
	sampleParam    sampleKind = iota // a URL param, or a URL part (protocol, host, port, ...)
	sampleMethod                     // method, methods: the call's method on the when side
	sampleArgument                   // arguments…: a call argument on the when side, nothing on the then side
	sampleAddress                    // address: host or host:port
	sampleHost                       // host
)

// classify returns the kind of key and, for arguments[N], N (-1 when the
// key starts with "arguments" but names no usable index, which never
// matches). As Java, only the part before the first '.' is read, and
// arguments[N] is found anywhere in it.
func classify(key string) (sampleKind, int) {
	switch key {
	case "method", "methods":
		return sampleMethod, -1
	case "address":
		return sampleAddress, -1
	case "host":
		return sampleHost, -1
	}
	if !strings.HasPrefix(key, "arguments") {
		return sampleParam, -1
	}
	head, _, _ := strings.Cut(key, ".")
	const open = "arguments["
	for i := strings.Index(head, open); i >= 0; {
		rest := head[i+len(open):]
		j := 0
		for j < len(rest) && rest[j] >= '0' && rest[j] <= '9' {
			j++
		}
		if j > 0 && j < len(rest) && rest[j] == ']' {
			n, err := strconv.Atoi(rest[:j])
			if err != nil {
				return sampleArgument, -1 // Java: NumberFormatException, no match
			}
			return sampleArgument, n
		}
		k := strings.Index(rest, open)
		if k < 0 {
			break
		}
		i += len(open) + k
	}
	return sampleArgument, -1
}
