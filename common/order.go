package common

import (
	"cmp"
	"unicode/utf16"
	"unicode/utf8"
)

// compareKeys orders strings the way Java's String.compareTo does, by UTF-16
// code units, so that parameters sort as Java Dubbo sorts them when it renders
// a URL. For ASCII this is byte order. It differs from byte (and code point)
// order only where a character above U+FFFF, a surrogate pair in UTF-16, meets
// one in U+E000..U+FFFF: Java puts the former first.
//
// Bytes that are not valid UTF-8 have no Java counterpart; each counts as one
// unit above every UTF-16 unit. That keeps the order total (and equal to
// string equality) for any Go string, which binary search over the sorted
// parameters needs.
func compareKeys(a, b string) int {
	n := min(len(a), len(b))
	i := 0
	for i < n && a[i] == b[i] {
		i++
	}
	if i == n {
		// One is a byte prefix of the other. If the shared part ends in ASCII
		// it ends on a character boundary in both, and the shorter is less.
		if n == 0 || a[n-1] < utf8.RuneSelf {
			return cmp.Compare(len(a), len(b))
		}
	} else if a[i] < utf8.RuneSelf && b[i] < utf8.RuneSelf {
		// Two ASCII bytes are single units at the same boundary.
		return cmp.Compare(a[i], b[i])
	}
	// Go back to just after the last ASCII byte of the shared prefix (or to
	// the start): a character boundary in both strings. Decode from there.
	start := i
	for start > 0 && a[start-1] >= utf8.RuneSelf {
		start--
	}
	return compareUnits(a[start:], b[start:])
}

// compareUnits compares a and b character by character as UTF-16 unit
// sequences. Both must start on a character boundary.
func compareUnits(a, b string) int {
	for a != "" && b != "" {
		ah, al, an := firstUnits(a)
		bh, bl, bn := firstUnits(b)
		if ah != bh {
			return cmp.Compare(ah, bh)
		}
		// Equal first units: both characters are single units, or both are
		// surrogate pairs with the same high half, or the same invalid byte.
		if al != bl {
			return cmp.Compare(al, bl)
		}
		a, b = a[an:], b[bn:]
	}
	return cmp.Compare(len(a), len(b))
}

// firstUnits returns the UTF-16 units of the first character of s (lo is -1
// for a character that is a single unit) and its length in bytes. An invalid
// byte becomes the unit 0x10000+byte.
func firstUnits(s string) (hi, lo rune, size int) {
	r, size := utf8.DecodeRuneInString(s)
	switch {
	case r == utf8.RuneError && size == 1:
		return 0x10000 + rune(s[0]), -1, 1
	case r > 0xFFFF:
		hi, lo = utf16.EncodeRune(r)
		return hi, lo, size
	default:
		return r, -1, size
	}
}

// compareJoined compares key with prefix+"."+name in the order of
// compareKeys without building the joined string. prefix must be valid UTF-8:
// then its characters end where its bytes end and the comparison splits.
func compareJoined(key, prefix, name string) int {
	rest, ok := cutPrefix(key, prefix)
	if !ok {
		// The difference lies inside prefix (or key is shorter than it).
		return compareKeys(key, prefix)
	}
	tail, ok := cutPrefix(rest, ".")
	if !ok {
		return compareKeys(rest, ".")
	}
	return compareKeys(tail, name)
}

func cutPrefix(s, prefix string) (string, bool) {
	if len(s) >= len(prefix) && s[:len(prefix)] == prefix {
		return s[len(prefix):], true
	}
	return s, false
}
