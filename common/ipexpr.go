package common

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// IPExpression is a compiled Dubbo IP expression (Java's
// NetUtils.matchIpExpression), as tag rules and access rules write them:
//
//   - every host, every port
//     *:20880                      every host on port 20880
//     192.168.1.10                 one IPv4 host, any port
//     192.168.1.10:20880           one host and port
//     192.168.1.*  192.168.1-3.*   a segment by wildcard or by inclusive range
//     192.168.1.1-100:20880        ranges with a port
//     10.0.0.0/8  2001:db8::/32    CIDR, IPv4 or IPv6 (no port)
//     [2001:db8::1]:20880          an IPv6 host and port
//     2001:db8:0:0:0:0:0:*         IPv6 segments (all eight) by wildcard or hex range
//
// An IPExpression is immutable and safe for concurrent use. Match does not
// allocate.
//
// Choices where Java leaves room: Java resolves host names through DNS;
// fleet does not (an expression that is a host name matches that name,
// ignoring case, and nothing else). Java rejects "*:port"; fleet reads it as
// every host on that port. Segments are compared as numbers, so "010"
// matches 10. A host of the other family (an IPv4 host against an IPv6
// expression) does not match, where Java throws.
type IPExpression struct {
	text string
	kind ipKind
	port int // 0: any
	// ipv4 and ipv6 segments: inclusive ranges, a wildcard is 0..max.
	lo, hi [8]uint32
	prefix netip.Prefix // ipCIDR
	addr   netip.Addr   // ipExact
	name   string       // ipName
}

type ipKind uint8

const (
	ipAny   ipKind = iota // "*" or "*:port"
	ipExact               // an address without wildcard or range
	ipV4                  // IPv4 segments with a wildcard or range
	ipV6                  // IPv6 segments with a wildcard or range
	ipCIDR
	ipName // a host name, matched literally
)

// ParseIPExpression compiles an IP expression (see IPExpression). A blank
// expression, a malformed segment, range, port or CIDR, and a wildcard
// or range in an expression that is not four IPv4 or eight IPv6 segments
// are errors naming the expression.
func ParseIPExpression(expr string) (*IPExpression, error) {
	s := strings.TrimSpace(expr)
	e := &IPExpression{text: s}
	fail := func(reason string) (*IPExpression, error) {
		return nil, fmt.Errorf("ip expression %q: %s", expr, reason)
	}
	if s == "" {
		return fail("empty")
	}
	if s == "*" || s == "*.*.*.*" {
		return e, nil
	}
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return fail("invalid CIDR")
		}
		e.kind, e.prefix = ipCIDR, p.Masked()
		return e, nil
	}
	host, port, hasPort := splitExprPort(s)
	if hasPort {
		p, err := strconv.Atoi(port)
		if err != nil || p <= 0 || p > 65535 {
			return fail(fmt.Sprintf("invalid port %q", port))
		}
		e.port = p
	}
	if host == "*" {
		return e, nil
	}
	hasExpr := strings.ContainsAny(host, "*-")
	if a, err := netip.ParseAddr(host); err == nil {
		e.kind, e.addr = ipExact, a.Unmap().WithZone("")
		return e, nil
	}
	if strings.Contains(host, ":") {
		segs := strings.Split(host, ":")
		if len(segs) != 8 {
			return fail("an IPv6 expression with '*' or '-' needs all eight segments (like 234e:0:4567:0:0:0:3d:*)")
		}
		if err := e.segments(segs, 16, 0xffff); err != nil {
			return fail(err.Error())
		}
		e.kind = ipV6
		return e, nil
	}
	segs := strings.Split(host, ".")
	if isIPv4Pattern(segs) {
		if len(segs) != 4 || !hasExpr {
			return fail("not an IPv4 address or pattern of four segments")
		}
		if err := e.segments(segs, 10, 255); err != nil {
			return fail(err.Error())
		}
		e.kind = ipV4
		return e, nil
	}
	if strings.Contains(host, "*") {
		return fail("'*' outside an IPv4 or IPv6 pattern")
	}
	e.kind, e.name = ipName, host
	return e, nil
}

// splitExprPort splits "[v6]:port", "[v6]", "v4:port" and "*:port".
func splitExprPort(s string) (host, port string, ok bool) {
	if strings.HasPrefix(s, "[") {
		if i := strings.Index(s, "]:"); i >= 0 {
			return s[1:i], s[i+2:], true
		}
		if strings.HasSuffix(s, "]") {
			return s[1 : len(s)-1], "", false
		}
		return s, "", false
	}
	if strings.Count(s, ":") == 1 {
		h, p, _ := strings.Cut(s, ":")
		return h, p, true
	}
	return s, "", false
}

// isIPv4Pattern reports whether every segment is made of digits, '*' and
// '-' only (so that "a-b.example.com" is a host name).
func isIPv4Pattern(segs []string) bool {
	for _, g := range segs {
		if g == "" || strings.Trim(g, "0123456789*-") != "" {
			return false
		}
	}
	return true
}

func (e *IPExpression) segments(segs []string, base int, max uint32) error {
	num := func(g string) (uint32, error) {
		n, err := strconv.ParseUint(g, base, 32)
		if err != nil || uint32(n) > max {
			return 0, fmt.Errorf("invalid segment %q", g)
		}
		return uint32(n), nil
	}
	for i, g := range segs {
		switch {
		case g == "*":
			e.lo[i], e.hi[i] = 0, max
		case strings.Contains(g, "-"):
			a, b, _ := strings.Cut(g, "-")
			lo, err1 := num(a)
			hi, err2 := num(b)
			if err1 != nil || err2 != nil || strings.Contains(b, "-") {
				return fmt.Errorf("invalid range %q", g)
			}
			e.lo[i], e.hi[i] = lo, hi
		default:
			n, err := num(g)
			if err != nil {
				return err
			}
			e.lo[i], e.hi[i] = n, n
		}
	}
	return nil
}

// String is the expression as written (trimmed).
func (e *IPExpression) String() string { return e.text }

// Match reports whether host (an IP literal, IPv6 with or without
// brackets, or a host name) and port fall in the expression. A port of 0
// or less matches only expressions without a port.
func (e *IPExpression) Match(host string, port int) bool {
	if e.port != 0 && e.port != port {
		return false
	}
	if e.kind == ipAny {
		return true
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if e.kind == ipName {
		return strings.EqualFold(e.name, host)
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return false
	}
	a = a.Unmap().WithZone("")
	switch e.kind {
	case ipExact:
		return a == e.addr
	case ipCIDR:
		return e.prefix.Contains(a)
	case ipV4:
		if !a.Is4() {
			return false
		}
		b := a.As4()
		for i := 0; i < 4; i++ {
			if v := uint32(b[i]); v < e.lo[i] || v > e.hi[i] {
				return false
			}
		}
		return true
	case ipV6:
		if !a.Is6() {
			return false
		}
		b := a.As16()
		for i := 0; i < 8; i++ {
			if v := uint32(b[2*i])<<8 | uint32(b[2*i+1]); v < e.lo[i] || v > e.hi[i] {
				return false
			}
		}
		return true
	}
	return false
}

// MatchIPExpression reports whether host and port match the IP expression
// expr (Java's NetUtils.matchIpExpression; see IPExpression). A malformed
// expression is an error. Callers matching many hosts compile the
// expression once with ParseIPExpression.
func MatchIPExpression(expr, host string, port int) (bool, error) {
	e, err := ParseIPExpression(expr)
	if err != nil {
		return false, err
	}
	return e.Match(host, port), nil
}
