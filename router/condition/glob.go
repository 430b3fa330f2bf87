package condition

import "strings"

// glob is a value pattern prepared once: common.IsMatchGlobPattern without
// a param URL ("$name" literal), with the place of its last '*' found
// ahead of time. Compiled rules use it on the call path.
type glob struct {
	kind     globKind
	pre, suf string // equal: pre is the whole pattern
}

type globKind uint8

const (
	globAny    globKind = iota // "*"
	globEqual                  // no '*' (also ""), compared whole
	globPrefix                 // "v*"
	globSuffix                 // "*e"
	globBoth                   // "v*e"
)

func compileGlob(p string) glob {
	if p == "*" {
		return glob{kind: globAny}
	}
	i := strings.LastIndexByte(p, '*')
	switch {
	case i < 0:
		return glob{kind: globEqual, pre: p}
	case i == len(p)-1:
		return glob{kind: globPrefix, pre: p[:i]}
	case i == 0:
		return glob{kind: globSuffix, suf: p[1:]}
	}
	return glob{kind: globBoth, pre: p[:i], suf: p[i+1:]}
}

func (g glob) match(v string) bool {
	switch g.kind {
	case globAny:
		return true
	case globEqual:
		return v == g.pre
	}
	if v == "" {
		return false // an empty value matches only "" and "*"
	}
	switch g.kind {
	case globPrefix:
		return strings.HasPrefix(v, g.pre)
	case globSuffix:
		return strings.HasSuffix(v, g.suf)
	}
	return strings.HasPrefix(v, g.pre) && strings.HasSuffix(v, g.suf)
}

// globPair is a matchPair with compiled globs, for when-side keys read on
// the call path ("$name" is literal there).
type globPair struct {
	matches, mismatches []glob
}

func compilePair(p *matchPair) globPair {
	var g globPair
	for _, m := range p.matches {
		g.matches = append(g.matches, compileGlob(m))
	}
	for _, m := range p.mismatches {
		g.mismatches = append(g.mismatches, compileGlob(m))
	}
	return g
}

// isMatch is matchPair.isMatch with a nil param.
func (p *globPair) isMatch(v string) bool {
	for _, m := range p.mismatches {
		if m.match(v) {
			return false
		}
	}
	if len(p.matches) == 0 {
		return len(p.mismatches) > 0
	}
	for _, m := range p.matches {
		if m.match(v) {
			return true
		}
	}
	return false
}
