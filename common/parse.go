package common

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// ParseError reports input that could not be parsed or decoded. Callers may
// inspect it with errors.As.
type ParseError struct {
	// Op names what failed: "parse url", "parse encoded url", "parse
	// address", "parse addresses". It is empty for the messages that keep
	// Java Dubbo's wording and name the input last ("url missing protocol",
	// the escape and UTF-8 errors of Decode).
	Op string
	// Input is the text as it was given.
	Input string
	// Reason says what is wrong with it.
	Reason string
	// Err is the underlying error, if any.
	Err error
}

// Error formats the error as `op "input": reason` or, when Op is empty,
// `reason: "input"`. A password in the input is masked, as logs should not
// carry it; Input keeps it.
func (e *ParseError) Error() string {
	in := strconv.Quote(maskPassword(e.Input))
	var s string
	switch {
	case e.Op == "":
		s = e.Reason + ": " + in
	case e.Reason == "":
		s = e.Op + " " + in
	default:
		s = e.Op + " " + in + ": " + e.Reason
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

// Unwrap returns the underlying error.
func (e *ParseError) Unwrap() error { return e.Err }

// maskPassword replaces the password of the user info in a URL-like text
// with "****". It is a best effort for error messages.
func maskPassword(s string) string {
	start := 0
	if i := strings.Index(s, "://"); i >= 0 {
		start = i + 3
	}
	end := len(s)
	if j := strings.IndexAny(s[start:], "/?#"); j >= 0 {
		end = start + j
	}
	at := strings.LastIndexByte(s[start:end], '@')
	if at < 0 {
		return s
	}
	colon := strings.IndexByte(s[start:start+at], ':')
	if colon < 0 || colon+1 == at {
		return s
	}
	return s[:start+colon+1] + "****" + s[start+at:]
}

const (
	opParse        = "parse url"
	opParseEncoded = "parse encoded url"
)

// Parse parses the decoded form of a URL, as Java Dubbo's URL.valueOf does:
//
//  1. The input is trimmed; an empty input is an error.
//  2. The query is what follows the first '?'. It splits on '&' or ';'; each
//     part is trimmed and skipped when empty. "k=v" splits at the first '='
//     ("a=b=c" is a = "b=c"); a part without '=' is its own value ("noValue"
//     is noValue=noValue). A later duplicate overwrites an earlier one. A key
//     "default.X" also sets X when X is not yet set at that point.
//  3. Before the query, everything from the first '#' is dropped; a '#' in
//     the query is kept.
//  4. The protocol is the text before the first "://", failing that before
//     the first ":/" ("file:/x"). A separator at the start is an error.
//  5. The path is everything after the next '/'.
//  6. User info is what precedes the last '@'; it splits at its first ':'
//     into user name and password ("ad@min:hello@1234@host").
//  7. The port is the text after the last ':', unless that ':' is the last
//     character or a '%' (an IPv6 zone) follows it. It must be a decimal
//     number up to 65535 ("dubbo:192.168.1.1" is an error: with neither
//     "://" nor ":/" the text after ':' is read as a port).
//  8. The rest is the host, kept verbatim: "[::1]:20880" has host "[::1]",
//     and a bare "2001:db8::1" has host "2001:db8:" and port 1, as in Java.
//
// Beyond Java: values, the host and the end of the path are trimmed of
// blanks, and so is the start of X in "default.X"; a key "default.default.x"
// sets no other key (Java would set "default.x", which once rendered would
// set "x"); empty keys are skipped; input that is not valid UTF-8, and input
// that leaves every part empty ("?", "#x", "/"), are errors. Nothing is
// unescaped: a value such as refer=a%3Db stays encoded.
//
// Errors are *ParseError and quote the input.
func Parse(s string) (*URL, error) {
	return parse(opParse, s, s, true)
}

// ParseEncoded parses the URL-encoded form Dubbo uses for ZooKeeper node
// names ("dubbo%3A%2F%2F10.0.0.1%3A20880%2Forg.a.Svc%3Fanyhost%3Dtrue...").
// It is Parse(Decode(s)): '+' is a space, "%XX" escapes are UTF-8 bytes, and
// the query starts at the first "%3F" (either case). Java's URLStrParser
// starts the query at the first "%3F" only; input with a literal '?' before
// it is not something Encode produces.
//
// ParseEncoded(Encode(u.FullString())) is Equal to Parse(u.FullString()).
// Errors are *ParseError and quote the input: a '%' without two characters
// after it, a '%' not followed by two hex digits, decoded bytes that are not
// UTF-8, and every error of Parse.
func ParseEncoded(s string) (*URL, error) {
	d, err := Decode(s)
	if err != nil {
		return nil, err
	}
	return parse(opParseEncoded, s, d, false) // Decode checked UTF-8
}

// MustParse is like Parse but panics on error. It is meant for tests,
// samples and constants.
func MustParse(s string) *URL {
	u, err := Parse(s)
	if err != nil {
		panic(err)
	}
	return u
}

// parse parses s; input is the text to quote in errors. checkUTF8 is false
// when s is known to be valid UTF-8.
func parse(op, input, s string, checkUTF8 bool) (*URL, error) {
	fail := func(reason string) (*URL, error) {
		return nil, &ParseError{Op: op, Input: input, Reason: reason}
	}
	s = trimBlank(s)
	if s == "" {
		return fail(errEmptyURL) // Java's wording
	}
	if checkUTF8 && !utf8.ValidString(s) {
		return fail("invalid UTF-8")
	}
	if uint64(len(s)) > math.MaxUint32 {
		return fail("url too long")
	}
	u := &URL{}
	body := s
	if q := strings.IndexByte(s, '?'); q >= 0 {
		body = s[:q]
		u.text, u.params = s, parseParams(s, q+1)
	}
	if i := strings.IndexByte(body, '#'); i >= 0 {
		body = body[:i]
	}
	if i := strings.Index(body, "://"); i >= 0 {
		if i == 0 {
			return nil, &ParseError{Input: input, Reason: "url missing protocol"}
		}
		u.protocol, body = body[:i], body[i+3:]
	} else if i := strings.Index(body, ":/"); i >= 0 {
		if i == 0 {
			return nil, &ParseError{Input: input, Reason: "url missing protocol"}
		}
		u.protocol, body = body[:i], body[i+1:]
	}
	if i := strings.IndexByte(body, '/'); i >= 0 {
		u.path, body = cleanPath(body[i+1:]), body[:i]
	}
	if i := strings.LastIndexByte(body, '@'); i >= 0 {
		username, password, _ := strings.Cut(body[:i], ":")
		u.user = newUser(username, password)
		body = body[i+1:]
	}
	if i := strings.LastIndexByte(body, ':'); i >= 0 && i < len(body)-1 && strings.LastIndexByte(body, '%') < i {
		port, ok := parsePort(body[i+1:])
		if !ok {
			return fail(fmt.Sprintf("invalid port %q", body[i+1:]))
		}
		u.port, body = port, body[:i]
	}
	u.host = cleanHost(body)
	if u.protocol == "" && u.user == nil && u.host == "" &&
		u.port == 0 && u.path == "" && u.numParams() == 0 {
		return fail("empty url")
	}
	return u, nil
}

// parsePort accepts 1 to 5 decimal digits (leading zeros allowed) worth at
// most 65535. Java's Integer.parseInt would also take a sign and any int;
// a negative or out-of-range port is not one a peer could use.
func parsePort(s string) (int, bool) {
	for len(s) > 1 && s[0] == '0' {
		s = s[1:]
	}
	if s == "" || len(s) > 5 {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	if n > 65535 {
		return 0, false
	}
	return n, true
}

// rawParam is a parsed query part, located in the parsed string, before
// duplicates are resolved.
type rawParam struct {
	param
	// derived marks X set from "default.X": it applies only when X has not
	// been set before, and any explicit X overrides it.
	derived bool
}

// parseParams parses the query of s, which starts at from, by rule 2 of
// Parse. The parameters point into s.
func parseParams(s string, from int) []param {
	var buf [32]rawParam
	raw := buf[:0]
	for i := from; i <= len(s); {
		j := i
		for j < len(s) && s[j] != '&' && s[j] != ';' {
			j++
		}
		a, b := i, j // the part, trimmed
		i = j + 1
		for a < b && isBlank(s[a]) {
			a++
		}
		for b > a && isBlank(s[b-1]) {
			b--
		}
		if a == b {
			continue
		}
		k0, k1, v0, v1 := a, b, a, b // a part without '=' is its own value
		if eq := strings.IndexByte(s[a:b], '='); eq >= 0 {
			k1, v0 = a+eq, a+eq+1
			for v0 < v1 && isBlank(s[v0]) {
				v0++
			}
		}
		if k0 == k1 {
			continue
		}
		raw = append(raw, rawParam{param: param{uint32(k0), uint32(k1), uint32(v0), uint32(v1)}})
		// "default.X" also sets X. X is trimmed at the start: the part was
		// trimmed, so no explicit key starts with a blank, and X must not
		// either or it would not read back from the rendered text. For the
		// same reason X may not itself be "default.Y": once rendered it
		// would be explicit and set Y. (Setting Y as well would let a key
		// "default.default.…" of n bytes render as O(n²) text.)
		if _, ok := cutPrefix(s[k0:k1], DefaultKeyPrefix); ok {
			x := k0 + len(DefaultKeyPrefix)
			for x < k1 && isBlank(s[x]) {
				x++
			}
			if _, nested := cutPrefix(s[x:k1], DefaultKeyPrefix); x < k1 && !nested {
				raw = append(raw, rawParam{param: param{uint32(x), uint32(k1), uint32(v0), uint32(v1)}, derived: true})
			}
		}
	}
	return resolveParams(s, raw)
}

// resolveParams sorts raw parts by key and keeps one value per key: the last
// explicit one, or when there is none the first derived one. That is what
// applying the parts in order gives: an explicit X always lands (before or
// after a derived X); a derived X lands only if nothing set X before it.
func resolveParams(s string, raw []rawParam) []param {
	if len(raw) == 0 {
		return nil
	}
	key := func(p rawParam) string { return s[p.k0:p.k1] }
	cmpRaw := func(a, b rawParam) int { return compareKeys(key(a), key(b)) }
	// Java writes parameters sorted; check before sorting.
	if !slices.IsSortedFunc(raw, cmpRaw) {
		slices.SortStableFunc(raw, cmpRaw)
	}
	n := 1
	for i := 1; i < len(raw); i++ {
		if key(raw[i]) != key(raw[i-1]) {
			n++
		}
	}
	ps := make([]param, 0, n)
	for i := 0; i < len(raw); {
		j := i + 1
		for j < len(raw) && key(raw[j]) == key(raw[i]) {
			j++
		}
		chosen := raw[i]
		for k := j - 1; k >= i; k-- {
			if !raw[k].derived {
				chosen = raw[k]
				break
			}
		}
		ps = append(ps, chosen.param)
		i = j
	}
	return ps
}
