package condition

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/protocol"
)

// matchesWhen reports whether a call inv from consumer matches the rule's
// when side. The when side reads the consumer URL and the call; "$name"
// is literal there.
func (r *Rule) matchesWhen(consumer *common.URL, inv protocol.Invocation) bool {
	return len(r.when) == 0 || r.when.match(consumer, nil, inv)
}

// matchesThen reports whether provider matches the rule's then side, with
// "$name" values read from consumer. A blacklist or an empty then side
// matches no provider.
func (r *Rule) matchesThen(provider, consumer *common.URL) bool {
	return !r.blacklist && len(r.then) > 0 && r.then.match(provider, consumer, nil)
}

// match is Java's matchCondition: every key matches, and there is at least
// one. param resolves "$name" values (nil: literal); inv is the call (nil
// on the then side, where method reads the URL and arguments never match).
func (c condition) match(u, param *common.URL, inv protocol.Invocation) bool {
	if len(c) == 0 {
		return false
	}
	for _, k := range c {
		if !k.match(u, param, inv) {
			return false
		}
	}
	return true
}

func (k *keyCondition) match(u, param *common.URL, inv protocol.Invocation) bool {
	switch k.kind {
	case sampleArgument:
		if inv == nil || k.arg < 0 {
			return false
		}
		args := protocol.RealArguments(inv)
		if k.arg >= len(args) {
			return false
		}
		return k.pair.matchArgument(args[k.arg])
	case sampleMethod:
		if inv != nil {
			return k.pair.isMatch(protocol.RealMethodName(inv), param)
		}
	}
	if v, ok := sample(k, u); ok {
		return k.pair.isMatch(v, param)
	}
	return len(k.pair.matches) == 0
}

// sample returns the value key k reads from u (Java's URL.toMap, with host
// and address read directly) and whether it is present. A URL part that is
// empty counts as absent and, as in toMap, leaves a param of the same name
// visible.
func sample(k *keyCondition, u *common.URL) (string, bool) {
	switch k.kind {
	case sampleHost:
		h := u.Host()
		return h, h != ""
	case sampleAddress:
		a := u.Address()
		return a, a != ""
	}
	switch k.key {
	case common.ProtocolKey:
		if v := u.Protocol(); v != "" {
			return v, true
		}
	case common.UsernameKey:
		if v := u.Username(); v != "" {
			return v, true
		}
	case common.PasswordKey:
		if v := u.Password(); v != "" {
			return v, true
		}
	case common.PathParamKey:
		if v := u.Path(); v != "" {
			return v, true
		}
	case common.PortKey:
		if p := u.Port(); p > 0 {
			return strconv.Itoa(p), true
		}
	}
	return u.Param(k.key)
}

// isMatch is Java's MatchPair.isMatch: a mismatch hit fails; otherwise a
// match hit passes; with no match values, passing needs mismatch values (a
// bare key matches nothing).
func (p *matchPair) isMatch(v string, param *common.URL) bool {
	for _, m := range p.mismatches {
		if common.IsMatchGlobPattern(m, v, param) {
			return false
		}
	}
	if len(p.matches) == 0 {
		return len(p.mismatches) > 0
	}
	for _, m := range p.matches {
		if common.IsMatchGlobPattern(m, v, param) {
			return true
		}
	}
	return false
}

// matchArgument matches an argument by its Java String.valueOf text
// ("null" for nil, "1.0" for a float64 1). Strings, booleans and integers
// are matched without allocating.
func (p *matchPair) matchArgument(a any) bool {
	var buf [24]byte
	switch v := a.(type) {
	case string:
		return p.isMatch(v, nil)
	case nil:
		return p.isMatch("null", nil)
	case bool:
		return p.isMatch(strconv.FormatBool(v), nil)
	case int:
		return p.isMatch(string(strconv.AppendInt(buf[:0], int64(v), 10)), nil)
	case int8:
		return p.isMatch(string(strconv.AppendInt(buf[:0], int64(v), 10)), nil)
	case int16:
		return p.isMatch(string(strconv.AppendInt(buf[:0], int64(v), 10)), nil)
	case int32:
		return p.isMatch(string(strconv.AppendInt(buf[:0], int64(v), 10)), nil)
	case int64:
		return p.isMatch(string(strconv.AppendInt(buf[:0], v, 10)), nil)
	case uint:
		return p.isMatch(string(strconv.AppendUint(buf[:0], uint64(v), 10)), nil)
	case uint8:
		return p.isMatch(string(strconv.AppendUint(buf[:0], uint64(v), 10)), nil)
	case uint16:
		return p.isMatch(string(strconv.AppendUint(buf[:0], uint64(v), 10)), nil)
	case uint32:
		return p.isMatch(string(strconv.AppendUint(buf[:0], uint64(v), 10)), nil)
	case uint64:
		return p.isMatch(string(strconv.AppendUint(buf[:0], v, 10)), nil)
	}
	return p.isMatch(javaString(a), nil)
}

// matchArgument is matchPair.matchArgument with compiled globs.
func (p *globPair) matchArgument(a any) bool {
	var buf [24]byte
	switch v := a.(type) {
	case string:
		return p.isMatch(v)
	case nil:
		return p.isMatch("null")
	case bool:
		return p.isMatch(strconv.FormatBool(v))
	case int:
		return p.isMatch(string(strconv.AppendInt(buf[:0], int64(v), 10)))
	case int8:
		return p.isMatch(string(strconv.AppendInt(buf[:0], int64(v), 10)))
	case int16:
		return p.isMatch(string(strconv.AppendInt(buf[:0], int64(v), 10)))
	case int32:
		return p.isMatch(string(strconv.AppendInt(buf[:0], int64(v), 10)))
	case int64:
		return p.isMatch(string(strconv.AppendInt(buf[:0], v, 10)))
	case uint:
		return p.isMatch(string(strconv.AppendUint(buf[:0], uint64(v), 10)))
	case uint8:
		return p.isMatch(string(strconv.AppendUint(buf[:0], uint64(v), 10)))
	case uint16:
		return p.isMatch(string(strconv.AppendUint(buf[:0], uint64(v), 10)))
	case uint32:
		return p.isMatch(string(strconv.AppendUint(buf[:0], uint64(v), 10)))
	case uint64:
		return p.isMatch(string(strconv.AppendUint(buf[:0], v, 10)))
	}
	return p.isMatch(javaString(a))
}

// javaString renders a as Java's String.valueOf would render the value it
// stands for: floating point numbers as Double.toString ("1.0", "1.0E10").
func javaString(a any) string {
	switch v := a.(type) {
	case float64:
		return javaDouble(v, 64)
	case float32:
		return javaDouble(float64(v), 32)
	case fmt.Stringer:
		return v.String()
	}
	return fmt.Sprint(a)
}

func javaDouble(f float64, bits int) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	case f == 0:
		if math.Signbit(f) {
			return "-0.0"
		}
		return "0.0"
	}
	if a := math.Abs(f); a >= 1e-3 && a < 1e7 {
		s := strconv.FormatFloat(f, 'f', -1, bits)
		if !strings.Contains(s, ".") {
			s += ".0"
		}
		return s
	}
	s := strconv.FormatFloat(f, 'e', -1, bits)
	mant, exp, _ := strings.Cut(s, "e")
	if !strings.Contains(mant, ".") {
		mant += ".0"
	}
	neg := strings.HasPrefix(exp, "-")
	exp = strings.TrimLeft(exp, "+-0")
	if neg {
		exp = "-" + exp
	}
	return mant + "E" + exp
}
