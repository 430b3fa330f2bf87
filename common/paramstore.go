package common

import (
	"slices"
	"strings"
)

// A URL keeps its parameters packed: every key and value is a slice of one
// string, URL.text, and URL.params holds their offsets, sorted by key in
// Java String order (compareKeys) with unique, non-empty keys. A parsed URL's
// text is the parsed string itself, so parsing copies no key or value, and a
// parameter costs 16 bytes beside its text (32 as a pair of strings).
// Builders that only drop parameters keep the text; the others pack anew. A
// URL's parameters may not exceed 4 GiB of text.

// A URL built by WithOverlay keeps its base URL's text and params as they
// are and lists its own parameters in sel, one byte each: the index of a
// base parameter, or fromOverlay plus the index of a parameter of its
// Overlay (shared), so that many URLs with one overlay laid over them cost
// a byte per parameter, not a copy of the text and the offsets.

// param locates one parameter: key text[k0:k1], value text[v0:v1]. A key
// that is its own value ("noValue") is stored once.
type param struct {
	k0, k1, v0, v1 uint32
}

// fromOverlay marks a sel entry that indexes the overlay's parameters.
const fromOverlay = 0x80

// numParams is the number of parameters of u.
func (u *URL) numParams() int {
	if u.sel != "" {
		return len(u.sel)
	}
	return len(u.params)
}

// kv is a parameter while a URL is being built.
type kv struct {
	key, value string
}

func (u *URL) keyAt(i int) string {
	if u.sel == "" {
		p := u.params[i]
		return u.text[p.k0:p.k1]
	}
	if s := u.sel[i]; s&fromOverlay != 0 {
		return u.shared.keyAt(int(s &^ fromOverlay))
	} else {
		p := u.params[s]
		return u.text[p.k0:p.k1]
	}
}

func (u *URL) valueAt(i int) string {
	if u.sel == "" {
		p := u.params[i]
		return u.text[p.v0:p.v1]
	}
	if s := u.sel[i]; s&fromOverlay != 0 {
		return u.shared.valueAt(int(s &^ fromOverlay))
	} else {
		p := u.params[s]
		return u.text[p.v0:p.v1]
	}
}

// search returns the index of key and true, or the index where key would
// be inserted and false. It does not allocate.
func (u *URL) search(key string) (int, bool) {
	if u.sel == "" {
		return searchParams(u.text, u.params, key)
	}
	lo, hi := 0, u.numParams()
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		switch c := compareKeys(u.keyAt(m), key); {
		case c == 0:
			return m, true
		case c < 0:
			lo = m + 1
		default:
			hi = m
		}
	}
	return lo, false
}

// searchParams is search over a URL's own parameters (no overlay).
func searchParams(text string, params []param, key string) (int, bool) {
	lo, hi := 0, len(params)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		p := params[m]
		switch c := compareKeys(text[p.k0:p.k1], key); {
		case c == 0:
			return m, true
		case c < 0:
			lo = m + 1
		default:
			hi = m
		}
	}
	return lo, false
}

// kvs returns the parameters of u as pairs, in order, with room for extra
// more.
func (u *URL) kvs(extra int) []kv {
	n := u.numParams()
	out := make([]kv, n, n+extra)
	for i := range n {
		out[i] = kv{u.keyAt(i), u.valueAt(i)}
	}
	return out
}

// pack lays out kvs, which must be sorted by key with unique keys, in one
// new string.
func pack(kvs []kv) (string, []param) {
	if len(kvs) == 0 {
		return "", nil
	}
	n := 0
	for _, e := range kvs {
		n += len(e.key)
		if e.value != e.key {
			n += len(e.value)
		}
	}
	var b strings.Builder
	b.Grow(n)
	ps := make([]param, len(kvs))
	for i, e := range kvs {
		k0 := uint32(b.Len())
		b.WriteString(e.key)
		k1 := uint32(b.Len())
		v0, v1 := k0, k1
		if e.value != e.key {
			v0 = k1
			b.WriteString(e.value)
			v1 = uint32(b.Len())
		}
		ps[i] = param{k0, k1, v0, v1}
	}
	return b.String(), ps
}

// packMap packs the entries of m with non-empty keys, values trimmed.
func packMap(m map[string]string) (string, []param) {
	kvs := make([]kv, 0, len(m))
	for k, v := range m {
		if k != "" {
			kvs = append(kvs, kv{k, trimBlank(v)})
		}
	}
	sortKVs(kvs)
	return pack(kvs)
}

func sortKVs(kvs []kv) {
	slices.SortFunc(kvs, func(a, b kv) int { return compareKeys(a.key, b.key) })
}
