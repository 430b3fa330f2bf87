package common

import (
	"strconv"
	"strings"
)

// ServiceInterface returns the "interface" parameter, else the path. It does
// not allocate.
func (u *URL) ServiceInterface() string {
	if v, _ := u.Param(InterfaceKey); v != "" {
		return v
	}
	return u.path
}

// Group returns the "group" parameter, "" when there is none.
func (u *URL) Group() string {
	v, _ := u.Param(GroupKey)
	return v
}

// Version returns the "version" parameter, "" when there is none.
func (u *URL) Version() string {
	v, _ := u.Param(VersionKey)
	return v
}

// Category returns the "category" parameter, "providers" when it is absent
// or empty.
func (u *URL) Category() string { return u.ParamOr(CategoryKey, DefaultCategory) }

// ServiceKey returns [group "/"] interface [":" version] with the interface
// of ServiceInterface; group and version appear only when non-empty. It is
// "" when the URL has neither an interface parameter nor a path.
// ".../org.a.Svc?group=g1&version=1.0.0" gives "g1/org.a.Svc:1.0.0".
func (u *URL) ServiceKey() string {
	return ServiceKey(u.ServiceInterface(), u.Group(), u.Version())
}

// PathKey is ServiceKey built from the path when the path is non-empty.
func (u *URL) PathKey() string {
	if u.path != "" {
		return ServiceKey(u.path, u.Group(), u.Version())
	}
	return u.ServiceKey()
}

// ColonKey returns interface ":" version ":" group, empty parts kept
// ("org.a.Svc::g", "org.a.Svc::"), with the interface of ServiceInterface.
// It names service-scoped rules in a config center
// ("<colon key>.configurators", "<colon key>.condition-router").
func (u *URL) ColonKey() string {
	return u.ServiceInterface() + ":" + u.Version() + ":" + u.Group()
}

// ProtocolServiceKey returns ServiceKey() ":" protocol.
func (u *URL) ProtocolServiceKey() string {
	return u.ServiceKey() + ":" + u.protocol
}

// ExportKey returns the key under which the dubbo protocol exports a
// provider URL: [group "/"] path [":" version] ":" port, the version left
// out when it is empty, "0.0.0" or "*".
func (u *URL) ExportKey() string {
	var b strings.Builder
	if g := u.Group(); g != "" {
		b.WriteString(g)
		b.WriteByte('/')
	}
	b.WriteString(u.path)
	if v := u.Version(); v != "" && v != "0.0.0" && v != AnyValue {
		b.WriteByte(':')
		b.WriteString(v)
	}
	b.WriteByte(':')
	b.WriteString(strconv.Itoa(u.port))
	return b.String()
}

// ServiceKey returns [group "/"] iface [":" version], group and version only
// when non-empty; "" when iface is empty. Unlike Java's
// StringUtils.getServiceKey(map), the version does not depend on the group.
func ServiceKey(iface, group, version string) string {
	if iface == "" {
		return ""
	}
	if group == "" && version == "" {
		return iface
	}
	var b strings.Builder
	b.Grow(len(group) + 1 + len(iface) + 1 + len(version))
	if group != "" {
		b.WriteString(group)
		b.WriteByte('/')
	}
	b.WriteString(iface)
	if version != "" {
		b.WriteByte(':')
		b.WriteString(version)
	}
	return b.String()
}
