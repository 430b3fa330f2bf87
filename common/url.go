package common

import (
	"strconv"
	"strings"
)

// URL is a Dubbo URL:
//
//	[protocol "://"] [username [":" password] "@"] [host [":" port]] ["/" path] ["?" params]
//
// A URL is immutable and safe for concurrent use; handle it as *URL. Build
// one with [Parse], [ParseEncoded], [NewURL] or the With* builders of an
// existing URL. A nil *URL is not a valid receiver.
//
// Invariants kept by every constructor: the path has no leading '/' and no
// trailing blanks; the host has no surrounding blanks; the port is >= 0 (0
// means none); parameter keys are unique and non-empty, parameter values have
// no surrounding blanks (blanks are the characters <= U+0020 that Java's
// String.trim removes). Java Dubbo trims values when it renders a URL, so a
// value always reads the way it is written to a registry.
type URL struct {
	protocol string
	user     *userInfo // nil when there is no user info
	host     string
	port     int
	path     string
	// text and params hold the parameters (see paramstore.go); when sel
	// is set they are a base URL's, and sel lists this URL's parameters
	// among them and shared's, the overlay laid over it. All are shared
	// between URLs derived from one another and never modified.
	text   string
	params []param
	sel    string // bytes; "" when the parameters are params themselves
	shared *Overlay
}

// userInfo is the user name and password of a URL that has either.
type userInfo struct {
	username, password string
}

// newUser returns the user info of username and password, nil when both
// are empty.
func newUser(username, password string) *userInfo {
	if username == "" && password == "" {
		return nil
	}
	return &userInfo{username, password}
}

// NewURL returns a URL with the given parts and a copy of params. Leading
// slashes of path are stripped, blanks around host and around values are
// trimmed, empty keys are skipped and a negative port is 0. Parts are not
// validated otherwise; see [URL.FullString] for what survives a round trip
// through text.
func NewURL(protocol, host string, port int, path string, params map[string]string) *URL {
	u := &URL{
		protocol: protocol,
		host:     cleanHost(host),
		port:     cleanPort(port),
		path:     cleanPath(path),
	}
	u.text, u.params = packMap(params)
	return u
}

// Protocol returns the protocol (scheme), "" when there is none.
func (u *URL) Protocol() string { return u.protocol }

// Username returns the user name of the user info, "" when there is none.
func (u *URL) Username() string {
	if u.user == nil {
		return ""
	}
	return u.user.username
}

// Password returns the password of the user info, "" when there is none.
func (u *URL) Password() string {
	if u.user == nil {
		return ""
	}
	return u.user.password
}

// Host returns the host, verbatim: an IPv6 host keeps its brackets and zone.
func (u *URL) Host() string { return u.host }

// Port returns the port, 0 when there is none.
func (u *URL) Port() int { return u.port }

// Path returns the path, without a leading '/'.
func (u *URL) Path() string { return u.path }

// Address returns the host, or host:port when the port is > 0.
func (u *URL) Address() string {
	if u.port <= 0 {
		return u.host
	}
	return u.host + ":" + strconv.Itoa(u.port)
}

// String renders the URL without user info (Java URL.toString), by the rules
// of FullString: parameters sorted by key (Java String order), written
// key=value joined by '&', unescaped. It does not reveal the password, so
// it is the form to log.
func (u *URL) String() string { return u.render(false, true) }

// FullString renders the URL with user info (Java URL.toFullString); the
// password is written only when it is non-empty. This is the canonical form:
// Parse(u.FullString()) is Equal to u for every URL that Parse or
// ParseEncoded returns.
//
// Three choices keep that true where Java's rendering loses information:
//   - The port is written whenever it is > 0, also without a host
//     ("dubbo://:20880/x"); Java writes a port only after a host.
//   - A host without a port whose text would be read as host:port ("[::1]",
//     "::1", "a:b", or a host ending in ':') is written with ":0"; Java
//     writes the bare host, which it then cannot parse back.
//   - User info with only a password is written ":password@"; Java drops it.
//
// Nothing is escaped, so a URL built by NewURL or the builders from parts
// that hold the separators of the format does not read back the same: '&'
// or ';' in a parameter, '=' in a key or a blank at its start, '?' or '#'
// anywhere, '/' before the path, ':' in the user name, '@' in the host. Nor
// does a URL with no parts at all (it renders as ""). Parse never produces
// such URLs.
func (u *URL) FullString() string { return u.render(true, true) }

// IdentityString renders the URL with user info and without parameters
// (Java URL.toIdentityString). Load balancers and statistics use it as the
// identity of a provider.
func (u *URL) IdentityString() string { return u.render(true, false) }

// Encoded returns Encode(u.FullString()): the form Dubbo uses as a ZooKeeper
// node name. ParseEncoded reads it back.
func (u *URL) Encoded() string { return Encode(u.FullString()) }

func (u *URL) render(withUser, withParams bool) string {
	username, password := u.Username(), u.Password()
	n := len(u.protocol) + 3 + len(username) + 1 + len(password) + 1 +
		len(u.host) + 21 + 1 + len(u.path) + 1
	if withParams {
		for i := range u.numParams() {
			n += len(u.keyAt(i)) + len(u.valueAt(i)) + 2
		}
	}
	var b strings.Builder
	b.Grow(n)
	if u.protocol != "" {
		b.WriteString(u.protocol)
		b.WriteString("://")
	}
	if withUser && (username != "" || password != "") {
		b.WriteString(username)
		if password != "" {
			b.WriteByte(':')
			b.WriteString(password)
		}
		b.WriteByte('@')
	}
	b.WriteString(u.host)
	if u.port > 0 || (u.host != "" && hostNeedsPort(u.host)) {
		var buf [20]byte
		b.WriteByte(':')
		b.Write(strconv.AppendInt(buf[:0], int64(u.port), 10))
	}
	if u.path != "" {
		b.WriteByte('/')
		b.WriteString(u.path)
	}
	if withParams {
		for i := range u.numParams() {
			if i == 0 {
				b.WriteByte('?')
			} else {
				b.WriteByte('&')
			}
			b.WriteString(u.keyAt(i))
			b.WriteByte('=')
			b.WriteString(u.valueAt(i))
		}
	}
	return b.String()
}

// hostNeedsPort reports whether host, written without a port, would be read
// back as host:port (or, ending in ':', would run into a following "/path"):
// it has a ':' with no '%' (an IPv6 zone) after it.
func hostNeedsPort(host string) bool {
	i := strings.LastIndexByte(host, ':')
	return i >= 0 && strings.IndexByte(host[i+1:], '%') < 0
}

// Equal reports whether u and o are the same URL: same protocol, user info,
// host, port and path, the same parameter keys, and the same values except
// for the value of "timestamp" (the 2.7.9+/3.x rule: a provider that
// re-registers with a new timestamp is the same provider). A URL with a
// timestamp and one without are not equal. Equal(nil) is false.
func (u *URL) Equal(o *URL) bool {
	if o == nil {
		return false
	}
	if u == o {
		return true
	}
	if u.protocol != o.protocol || u.Username() != o.Username() || u.Password() != o.Password() ||
		u.host != o.host || u.port != o.port || u.path != o.path || u.numParams() != o.numParams() {
		return false
	}
	for i := range u.numParams() {
		k := u.keyAt(i)
		if k != o.keyAt(i) || (k != TimestampKey && u.valueAt(i) != o.valueAt(i)) {
			return false
		}
	}
	return true
}

// Hash returns a hash of u consistent with Equal: equal URLs hash alike. The
// value of "timestamp" is left out, its key is not. The hash is stable across
// processes (FNV-1a).
func (u *URL) Hash() uint64 {
	h := uint64(fnvOffset)
	h = fnvString(h, u.protocol)
	h = fnvString(h, u.Username())
	h = fnvString(h, u.Password())
	h = fnvString(h, u.host)
	h = fnvUint(h, uint64(u.port))
	h = fnvString(h, u.path)
	for i := range u.numParams() {
		k := u.keyAt(i)
		h = fnvString(h, k)
		if k != TimestampKey {
			h = fnvString(h, u.valueAt(i))
		}
	}
	return h
}

const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

// fnvString mixes s and a terminator into h, so that ("ab","c") and
// ("a","bc") hash differently.
func fnvString(h uint64, s string) uint64 {
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= fnvPrime
	}
	h ^= 0xff
	h *= fnvPrime
	return h
}

func fnvUint(h, v uint64) uint64 {
	for i := 0; i < 8; i++ {
		h ^= v & 0xff
		h *= fnvPrime
		v >>= 8
	}
	return h
}

// isBlank reports whether c is removed by Java's String.trim.
func isBlank(c byte) bool { return c <= ' ' }

// trimBlank is Java's String.trim: it removes bytes <= 0x20 at both ends.
func trimBlank(s string) string {
	i, j := 0, len(s)
	for i < j && isBlank(s[i]) {
		i++
	}
	for j > i && isBlank(s[j-1]) {
		j--
	}
	return s[i:j]
}

func trimBlankRight(s string) string {
	j := len(s)
	for j > 0 && isBlank(s[j-1]) {
		j--
	}
	return s[:j]
}

func cleanHost(h string) string { return trimBlank(h) }

// cleanPath strips the leading slashes and the trailing blanks of a path.
// Trailing blanks would be lost when a rendered URL ends with its path and is
// parsed again (Parse trims its input), so no path keeps them.
func cleanPath(p string) string {
	for p != "" && p[0] == '/' {
		p = p[1:]
	}
	return trimBlankRight(p)
}

func cleanPort(p int) int {
	if p < 0 {
		return 0
	}
	return p
}
