package common

import "slices"

// Overlay is a set of parameters packed once, to be laid over many URLs
// with [URL.WithOverlay]: the URLs built that way keep their own
// parameters where they were and read the overlay's in the overlay itself,
// so N URLs cost N small parameter indexes, not N copies of the text. A
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
// every respect. The result keeps u's parameter text and shares o's; only
// its parameter index is new. When u already shares another overlay's
// text, the result is packed anew (the same URL, sharing nothing). A nil
// or empty o only drops.
func (u *URL) WithOverlay(o *Overlay, drop ...string) *URL {
	if o == nil {
		o = &Overlay{}
	}
	if u.shared != nil && u.shared != o && len(o.params) > 0 {
		return u.WithoutParams(drop...).withOverlayPacked(o)
	}
	ps := make([]param, 0, len(u.params)+len(o.params))
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
			ps = append(ps, u.params[i])
			i++
		case c > 0:
			p := o.params[j]
			ps = append(ps, param{p.k0 | inShared, p.k1, p.v0 | inShared, p.v1})
			changed = true
			j++
		default:
			p := u.params[i]
			if u.valueAt(i) != o.valueAt(j) {
				q := o.params[j]
				p.v0, p.v1 = q.v0|inShared, q.v1
				changed = true
			}
			ps = append(ps, p)
			i++
			j++
		}
	}
	if !changed {
		return u
	}
	c := u.clone()
	c.params = ps
	if len(o.params) > 0 {
		c.shared = o
	}
	if len(ps) == 0 {
		c.text, c.params, c.shared = "", nil, nil
	}
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
