package common

import (
	"slices"
	"strings"
)

// Overlay is a set of parameters packed once, to be laid over many URLs
// with [URL.WithOverlay]: the URLs built that way keep their base's
// parameters where they were and read the overlay's in the overlay itself,
// so N URLs cost N lists of a byte per parameter, not N copies of the text
// and its offsets. A
// RegistryDirectory lays the consumer's parameters over every provider URL
// this way. An Overlay is immutable and safe for concurrent use.
type Overlay struct {
	text   string
	params []param // over text, sorted by key as a URL's
}

// NewOverlay returns the overlay of the entries of params, as
// [URL.WithParams] would set them: empty keys skipped, values trimmed,
// entries with an empty value skipped.
func NewOverlay(params map[string]string) *Overlay {
	kvs := make([]kv, 0, len(params))
	for k, v := range params {
		if v = trimBlank(v); k != "" && v != "" {
			kvs = append(kvs, kv{k, v})
		}
	}
	sortKVs(kvs)
	o := &Overlay{}
	o.text, o.params = pack(kvs)
	return o
}

// Len is the number of parameters of the overlay.
func (o *Overlay) Len() int { return len(o.params) }

func (o *Overlay) keyAt(i int) string {
	p := o.params[i]
	return o.text[p.k0:p.k1]
}

func (o *Overlay) valueAt(i int) string {
	p := o.params[i]
	return o.text[p.v0:p.v1]
}

// WithOverlay returns u without the parameters named in drop and with
// those of o set, overwriting u's: the URL u.WithoutParams(drop...)
// .WithParams(params) for the params o was built from, equal to it in
// every respect. The result shares u's parameter text and offsets and o's,
// and lists its parameters in a byte each. When u is itself overlaid, or
// either has more than 127 parameters, the result is packed anew (the same
// URL, sharing nothing). A nil o only drops.
func (u *URL) WithOverlay(o *Overlay, drop ...string) *URL {
	if o == nil {
		return u.WithoutParams(drop...)
	}
	if u.sel != "" || len(u.params) >= fromOverlay || len(o.params) >= fromOverlay {
		return u.WithoutParams(drop...).withOverlayPacked(o)
	}
	var sel strings.Builder
	sel.Grow(len(u.params) + len(o.params))
	changed := false
	i, j := 0, 0
	for i < len(u.params) || j < len(o.params) {
		if i < len(u.params) && len(drop) > 0 && slices.Contains(drop, u.keyAt(i)) {
			i++
			changed = true
			continue
		}
		c := 1 // only overlay parameters left
		if i < len(u.params) {
			c = -1 // only u's left
			if j < len(o.params) {
				c = compareKeys(u.keyAt(i), o.keyAt(j))
			}
		}
		switch {
		case c < 0:
			sel.WriteByte(uint8(i))
			i++
		case c > 0:
			sel.WriteByte(fromOverlay | uint8(j))
			changed = true
			j++
		default:
			if u.valueAt(i) != o.valueAt(j) {
				sel.WriteByte(fromOverlay | uint8(j))
				changed = true
			} else {
				sel.WriteByte(uint8(i))
			}
			i++
			j++
		}
	}
	if !changed {
		return u
	}
	c := u.clone()
	if sel.Len() == 0 {
		c.text, c.params = "", nil
		return c
	}
	c.sel, c.shared = sel.String(), o
	return c
}

// withOverlayPacked is WithOverlay (without drops) packing the result anew.
func (u *URL) withOverlayPacked(o *Overlay) *URL {
	m := make(map[string]string, len(o.params))
	for j := range o.params {
		m[o.keyAt(j)] = o.valueAt(j)
	}
	return u.WithParams(m)
}
