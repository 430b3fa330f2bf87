package common

import (
	"slices"
	"strings"
)

// Each builder returns a new URL and leaves its receiver as it was; when
// nothing would change it may return the receiver itself. Parameter values
// are trimmed of blanks, as every constructor does.

func (u *URL) clone() *URL {
	c := *u
	return &c
}

// WithProtocol returns u with protocol p.
func (u *URL) WithProtocol(p string) *URL {
	if p == u.protocol {
		return u
	}
	c := u.clone()
	c.protocol = p
	return c
}

// WithUserInfo returns u with this user name and password.
func (u *URL) WithUserInfo(username, password string) *URL {
	if username == u.Username() && password == u.Password() {
		return u
	}
	c := u.clone()
	c.user = newUser(username, password)
	return c
}

// WithHost returns u with host h (trimmed).
func (u *URL) WithHost(h string) *URL {
	h = cleanHost(h)
	if h == u.host {
		return u
	}
	c := u.clone()
	c.host = h
	return c
}

// WithPort returns u with port p; a negative port is 0 (none).
func (u *URL) WithPort(p int) *URL {
	p = cleanPort(p)
	if p == u.port {
		return u
	}
	c := u.clone()
	c.port = p
	return c
}

// WithAddress returns u with this host and port.
func (u *URL) WithAddress(host string, port int) *URL {
	host, port = cleanHost(host), cleanPort(port)
	if host == u.host && port == u.port {
		return u
	}
	c := u.clone()
	c.host, c.port = host, port
	return c
}

// WithPath returns u with path p, leading slashes stripped.
func (u *URL) WithPath(p string) *URL {
	p = cleanPath(p)
	if p == u.path {
		return u
	}
	c := u.clone()
	c.path = p
	return c
}

// WithParam returns u with parameter key set to value. An empty key or
// value (after trimming) changes nothing: use WithoutParams to remove.
func (u *URL) WithParam(key, value string) *URL {
	value = trimBlank(value)
	if key == "" || value == "" {
		return u
	}
	i, found := u.search(key)
	if found && u.valueAt(i) == value {
		return u
	}
	kvs := u.kvs(1)
	if found {
		kvs[i].value = value
	} else {
		kvs = slices.Insert(kvs, i, kv{key, value})
	}
	return u.withKVs(kvs)
}

// WithParams returns u with the entries of kv set, overwriting existing
// values; entries with an empty key or value are skipped.
func (u *URL) WithParams(kv map[string]string) *URL {
	return u.mergeParams(kv, true)
}

// WithParamsIfAbsent returns u with the entries of kv whose keys u does not
// have (an existing key keeps its value, even an empty one); entries with an
// empty key or value are skipped.
func (u *URL) WithParamsIfAbsent(kv map[string]string) *URL {
	return u.mergeParams(kv, false)
}

func (u *URL) mergeParams(m map[string]string, overwrite bool) *URL {
	add := make([]kv, 0, len(m))
	for k, v := range m {
		if v = trimBlank(v); k != "" && v != "" {
			add = append(add, kv{k, v})
		}
	}
	if len(add) == 0 {
		return u
	}
	sortKVs(add)
	base := u.kvs(0)
	out := make([]kv, 0, len(base)+len(add))
	changed := false
	i, j := 0, 0
	for i < len(base) && j < len(add) {
		switch c := compareKeys(base[i].key, add[j].key); {
		case c < 0:
			out = append(out, base[i])
			i++
		case c > 0:
			out = append(out, add[j])
			changed = true
			j++
		default:
			if overwrite && base[i].value != add[j].value {
				out = append(out, add[j])
				changed = true
			} else {
				out = append(out, base[i])
			}
			i++
			j++
		}
	}
	out = append(out, base[i:]...)
	if j < len(add) {
		out = append(out, add[j:]...)
		changed = true
	}
	if !changed {
		return u
	}
	return u.withKVs(out)
}

// withKVs returns u with exactly the parameters kvs (sorted, unique keys),
// packed anew.
func (u *URL) withKVs(kvs []kv) *URL {
	c := u.clone()
	c.text, c.params = pack(kvs)
	c.sel, c.shared = "", nil
	return c
}

// withParamsFiltered returns u with the parameters for which keep is true.
// They stay in u's text.
func (u *URL) withParamsFiltered(keep func(key, value string) bool) *URL {
	n := u.numParams()
	if u.sel != "" {
		var sel strings.Builder
		sel.Grow(n)
		for i := range n {
			if keep(u.keyAt(i), u.valueAt(i)) {
				sel.WriteByte(u.sel[i])
			}
		}
		if sel.Len() == n {
			return u
		}
		c := u.clone()
		c.sel = sel.String()
		if c.sel == "" {
			c.text, c.params, c.shared = "", nil, nil
		}
		return c
	}
	ps := make([]param, 0, n)
	for i, p := range u.params {
		if keep(u.keyAt(i), u.valueAt(i)) {
			ps = append(ps, p)
		}
	}
	if len(ps) == n {
		return u
	}
	c := u.clone()
	c.params = ps
	if len(ps) == 0 {
		c.text, c.params = "", nil
	}
	return c
}

// WithoutParams returns u without the given parameters; absent keys are
// ignored.
func (u *URL) WithoutParams(keys ...string) *URL {
	return u.withParamsFiltered(func(k, _ string) bool { return !slices.Contains(keys, k) })
}

// KeepParams returns u with only the parameters named in keys that have a
// non-empty value, and those whose keys start with one of prefixes.
func (u *URL) KeepParams(keys []string, prefixes ...string) *URL {
	return u.withParamsFiltered(func(k, v string) bool {
		return (v != "" && slices.Contains(keys, k)) || hasAnyPrefix(k, prefixes)
	})
}

// ReplaceParams returns a URL with u's protocol, user info, host, port and
// path and exactly the entries of kv (empty keys skipped, values trimmed).
func (u *URL) ReplaceParams(kv map[string]string) *URL {
	c := u.clone()
	c.text, c.params = packMap(kv)
	c.sel, c.shared = "", nil
	return c
}

func hasAnyPrefix(s string, prefixes []string) bool {
	for _, p := range prefixes {
		if len(s) >= len(p) && s[:len(p)] == p {
			return true
		}
	}
	return false
}
