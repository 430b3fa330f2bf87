package directory

import (
	"strings"

	"github.com/fleetrpc/fleet/common"
)

// mergeText builds the merged URL of p by writing its text and parsing it
// once: the provider's identity, then its params and the overlay's merged
// in key order, minus drop. Parsing keeps every key and value inside the
// one string, which costs a fraction of rebuilding the URL parameter by
// parameter. It reports false, and the caller takes URL.WithParams, for
// anything the text form could change: a key or value that safeParam
// refuses, or a parsed URL whose parts or parameter count differ from
// what was written.
func (m *merger) mergeText(p *common.URL, ov *overlay, drop []string) (*common.URL, bool) {
	b := m.text[:0]
	b = append(b, p.IdentityString()...)
	n, ok := 0, true
	sep := byte('?')
	write := func(k, v string) {
		b = append(b, sep)
		b = append(b, k...)
		b = append(b, '=')
		b = append(b, v...)
		sep = '&'
		n++
	}
	i := 0
	p.RangeParams(func(k, v string) bool {
		for _, d := range drop {
			if k == d {
				return true
			}
		}
		for ; i < len(ov.keys) && ov.keys[i] < k; i++ {
			write(ov.keys[i], ov.vals[i]) // checked when the overlay was built
		}
		if i < len(ov.keys) && ov.keys[i] == k {
			write(k, ov.vals[i])
			i++
			return true
		}
		if !safeParam(k, v) {
			ok = false
			return false
		}
		write(k, v)
		return true
	})
	for ; ok && i < len(ov.keys); i++ {
		write(ov.keys[i], ov.vals[i])
	}
	m.text = b
	if !ok {
		return nil, false
	}
	u, err := common.Parse(string(b))
	if err != nil || u.NumParams() != n || u.Protocol() != p.Protocol() || u.Host() != p.Host() ||
		u.Port() != p.Port() || u.Path() != p.Path() || u.Username() != p.Username() || u.Password() != p.Password() {
		return nil, false
	}
	return u, true
}

// safeParam reports whether k=v reads back as itself from query text: a
// non-empty ASCII key (so byte order is Java's order) without '=', not a
// default.X key (parsing derives X from it), and a non-empty value; neither
// holds '&' or ';' (separators) nor starts or ends with a blank (parsing
// trims).
func safeParam(k, v string) bool {
	if k == "" || v == "" || strings.HasPrefix(k, common.DefaultKeyPrefix) || isBlankByte(k[0]) ||
		isBlankByte(k[len(k)-1]) || isBlankByte(v[0]) || isBlankByte(v[len(v)-1]) {
		return false
	}
	for i := 0; i < len(k); i++ {
		if c := k[i]; c >= 0x80 || c == '=' || c == '&' || c == ';' {
			return false
		}
	}
	for i := 0; i < len(v); i++ {
		if c := v[i]; c == '&' || c == ';' {
			return false
		}
	}
	return true
}

func isBlankByte(c byte) bool { return c <= ' ' }
