package common

import (
	"errors"
	"fmt"
)

// ReferParams returns the consumer parameters a registry URL carries in its
// refer= parameter: Decode, then ParseQueryString. It returns (nil, nil) when
// refer is absent or empty.
func (u *URL) ReferParams() (map[string]string, error) {
	v, _ := u.Param(ReferKey)
	if v == "" {
		return nil, nil
	}
	d, err := Decode(v)
	if err != nil {
		return nil, fmt.Errorf("refer param: %w", err)
	}
	return ParseQueryString(d), nil
}

// ExportURL returns the provider URL a registry URL carries in its export=
// parameter (Encode(provider.FullString())), decoded and parsed. It returns
// (nil, nil) when export is absent or empty.
func (u *URL) ExportURL() (*URL, error) {
	v, _ := u.Param(ExportKey)
	if v == "" {
		return nil, nil
	}
	e, err := ParseEncoded(v)
	if err != nil {
		return nil, fmt.Errorf("export param: %w", err)
	}
	return e, nil
}

// ConsumerURLFromRegistry derives the consumer URL a registry directory
// works with from the registry URL used to refer (Java DynamicDirectory): with
// q = registry.ReferParams(), the protocol is q["protocol"] else "dubbo", the
// host q["register.ip"] else the registry's host, no port, the path
// q["interface"], and the parameters exactly q without "monitor"; the
// registry's own parameters are dropped. So are its user name and password
// (Java keeps them; a consumer URL has no use for registry credentials and
// should not carry them into logs).
//
// It is an error when refer is absent or malformed or names no interface.
func ConsumerURLFromRegistry(registry *URL) (*URL, error) {
	q, err := registry.ReferParams()
	if err != nil {
		return nil, fmt.Errorf("consumer url from registry %q: %w", registry.String(), err)
	}
	if q == nil {
		return nil, fmt.Errorf("consumer url from registry %q: %w", registry.String(), errNoRefer)
	}
	iface := q[InterfaceKey]
	if iface == "" {
		return nil, fmt.Errorf("consumer url from registry %q: %w", registry.String(), errNoInterface)
	}
	protocol := q[ProtocolKey]
	if protocol == "" {
		protocol = DubboProtocol
	}
	host := q[RegisterIPKey]
	if host == "" {
		host = registry.Host()
	}
	delete(q, MonitorKey)
	return NewURL(protocol, host, 0, iface, q), nil
}

var (
	errNoRefer     = errors.New("no refer param")
	errNoInterface = errors.New("refer param names no interface")
)
