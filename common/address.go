package common

import (
	"strconv"
	"strings"
)

// defaultAddressPort is the port ParseAddress gives an address that has none
// and no default (Java UrlUtils).
const defaultAddressPort = 9090

// AppendDefaultPort appends port to an address that has none: "h", "h:0"
// and "h:" become "h:<port>", "[::1]" becomes "[::1]:<port>". An empty
// address, a port <= 0, or an address whose port is not a number leaves the
// address as it is. The port is the text after the last ':' (Java takes the
// first, and throws on IPv6).
func AppendDefaultPort(address string, port int) string {
	if address == "" || port <= 0 {
		return address
	}
	host, p, ok := splitAddress(address)
	if !ok || p > 0 {
		return address
	}
	return host + ":" + strconv.Itoa(port)
}

// splitAddress splits host[:port] at its last ':'. A missing, empty or zero
// port is 0; a bracketed IPv6 host ("[::1]") has no port. ok is false when
// the text after the last ':' is not a port.
func splitAddress(address string) (host string, port int, ok bool) {
	i := strings.LastIndexByte(address, ':')
	if i < 0 || strings.HasSuffix(address, "]") {
		return address, 0, true
	}
	if i == len(address)-1 {
		return address[:i], 0, true
	}
	port, ok = parsePort(address[i+1:])
	return address[:i], port, ok
}

// BackupAddress returns the URL's address followed by each address of its
// "backup" parameter, comma-joined, each with defaultPort appended when it
// has no port: dubbo://127.0.0.0/t?backup=127.0.0.1,127.0.0.2 gives
// "127.0.0.0,127.0.0.1,127.0.0.2". A ZooKeeper client connects to this list.
// Empty backup entries are skipped.
func (u *URL) BackupAddress(defaultPort int) string {
	var b strings.Builder
	b.WriteString(AppendDefaultPort(u.Address(), defaultPort))
	for _, backup := range u.ParamList(BackupKey) {
		if backup != "" {
			b.WriteByte(',')
			b.WriteString(AppendDefaultPort(backup, defaultPort))
		}
	}
	return b.String()
}

// BackupURLs returns u followed by one URL per "backup" address, each with
// u's protocol, user info, path and parameters. A backup address without a
// port (or with port 0) keeps u's port. Empty entries and entries whose port
// (the text after the last ':') is not a valid port are skipped (Java
// throws).
func (u *URL) BackupURLs() []*URL {
	backups := u.ParamList(BackupKey)
	urls := make([]*URL, 0, 1+len(backups))
	urls = append(urls, u)
	for _, backup := range backups {
		if backup == "" {
			continue
		}
		host, port, ok := splitAddress(backup)
		if !ok {
			continue
		}
		if port == 0 {
			port = u.port
		}
		urls = append(urls, u.WithAddress(host, port))
	}
	return urls
}

// ParseAddress parses a registry or config-center address as Java's
// UrlUtils.parseURL does. An address with neither "://" nor '?' may list
// several addresses separated by commas (with blanks around them): the
// first is the URL, the others go to its "backup" parameter. Then, from
// defaults: a missing protocol is defaults["protocol"], else "dubbo"; a
// missing user name or password is taken from defaults; a missing port (or
// 0) is defaults["port"], else 9090; a missing path is defaults["path"]; and
// every other non-empty entry of defaults fills a parameter that is absent
// or empty. The keys "protocol", "username", "password", "host", "port" and
// "path" of defaults are never parameters.
//
// An empty address, an address that Parse rejects and a defaults["port"]
// that is not a port are errors (*ParseError).
func ParseAddress(address string, defaults map[string]string) (*URL, error) {
	const op = "parse address"
	if address == "" {
		return nil, &ParseError{Op: op, Input: address, Reason: errEmptyAddress}
	}
	s := address
	if !strings.Contains(address, "://") && !strings.Contains(address, "?") {
		if parts := splitList(address, isComma); len(parts) > 1 {
			s = parts[0] + "?" + BackupKey + "=" + strings.Join(parts[1:], ",")
		}
	}
	u, err := Parse(s)
	if err != nil {
		return nil, &ParseError{Op: op, Input: address, Err: err}
	}
	defPort := 0
	if v := defaults[PortKey]; v != "" {
		p, ok := parsePort(v)
		if !ok {
			return nil, &ParseError{Op: op, Input: address, Reason: "invalid default port " + strconv.Quote(v)}
		}
		defPort = p
	}
	c := u.clone()
	if c.protocol == "" {
		c.protocol = defaults[ProtocolKey]
		if c.protocol == "" {
			c.protocol = DubboProtocol
		}
	}
	if username, password := c.Username(), c.Password(); username == "" || password == "" {
		if username == "" {
			username = defaults[UsernameKey]
		}
		if password == "" {
			password = defaults[PasswordKey]
		}
		c.user = newUser(username, password)
	}
	if c.port <= 0 {
		c.port = defPort
		if c.port <= 0 {
			c.port = defaultAddressPort
		}
	}
	if c.path == "" {
		c.path = cleanPath(defaults[PathParamKey])
	}
	fill := make(map[string]string, len(defaults))
	for k, v := range defaults {
		switch k {
		case ProtocolKey, UsernameKey, PasswordKey, HostKey, PortKey, PathParamKey:
			continue
		}
		if v != "" && !c.Has(k) {
			fill[k] = v
		}
	}
	return c.WithParams(fill), nil
}

// Java's wording of the errors for an empty URL (URL.valueOf) and an empty
// address (UrlUtils.parseURL).
const (
	errEmptyURL     = "url == null"
	errEmptyAddress = "Address is not allowed to be empty."
)

// ParseAddresses splits addresses on '|' or ';' (with blanks around them)
// and parses each with ParseAddress (Java UrlUtils.parseURLs).
func ParseAddresses(addresses string, defaults map[string]string) ([]*URL, error) {
	if addresses == "" {
		return nil, &ParseError{Op: "parse addresses", Input: addresses, Reason: errEmptyAddress}
	}
	parts := splitList(addresses, func(c byte) bool { return c == '|' || c == ';' })
	if len(parts) == 0 {
		return nil, &ParseError{Op: "parse addresses", Input: addresses, Reason: "no address"}
	}
	urls := make([]*URL, 0, len(parts))
	for _, part := range parts {
		u, err := ParseAddress(part, defaults)
		if err != nil {
			return nil, &ParseError{Op: "parse addresses", Input: addresses, Err: err}
		}
		urls = append(urls, u)
	}
	return urls, nil
}

// EmptyURL returns the empty:// URL that stands for an empty category in a
// registry notification: EmptyURL("g/a.b.Foo:1.0.0", "providers") is
// empty://0.0.0.0/a.b.Foo?category=providers&group=g&version=1.0.0. The
// group is the text before the first '/' and the version the text after the
// last ':' of serviceKey, each only when non-empty (at index > 0, as Java).
func EmptyURL(serviceKey, category string) *URL {
	params := make(map[string]string, 3)
	service := serviceKey
	if i := strings.IndexByte(service, '/'); i > 0 {
		params[GroupKey], service = service[:i], service[i+1:]
	}
	if i := strings.LastIndexByte(service, ':'); i > 0 {
		if v := service[i+1:]; v != "" {
			params[VersionKey] = v
		}
		service = service[:i]
	}
	if category != "" {
		params[CategoryKey] = category
	}
	return NewURL(EmptyProtocol, AnyHost, 0, service, params)
}

// IsAnyHost reports whether the host is 0.0.0.0 or anyhost=true.
func (u *URL) IsAnyHost() bool {
	return u.host == AnyHost || u.ParamBool(AnyHostKey, false)
}

// IsLocalHost reports whether the host is "localhost" (any case) or
// 127.x.x.x (127(\.\d{1,3}){3}), or localhost=true.
func (u *URL) IsLocalHost() bool {
	return strings.EqualFold(u.host, "localhost") || isLoopbackIPv4(u.host) || u.ParamBool(LocalHostKey, false)
}

// isLoopbackIPv4 matches 127(\.\d{1,3}){3}, the whole string.
func isLoopbackIPv4(h string) bool {
	rest, ok := cutPrefix(h, "127")
	if !ok {
		return false
	}
	for range 3 {
		if rest == "" || rest[0] != '.' {
			return false
		}
		rest = rest[1:]
		n := 0
		for n < len(rest) && n < 3 && '0' <= rest[n] && rest[n] <= '9' {
			n++
		}
		if n == 0 {
			return false
		}
		rest = rest[n:]
	}
	return rest == ""
}
