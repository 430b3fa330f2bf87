package directory

import (
	"reflect"
	"strconv"
	"strings"

	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/protocol"
)

// Enum is implemented by argument values that stand for a Java enum
// constant: the per-method map looks up "<method>.<EnumName()>" for a first
// argument that is one. A first argument whose type has kind string (a Go
// string enum) is looked up by its value, as a string is.
type Enum interface {
	EnumName() string
}

// candidates is one list the per-method map hands out: the invokers, and
// for a multi-group directory the same invokers grouped (one cluster
// invoker per provider group). Immutable; both slices stay fixed for the
// snapshot's life, so a router chain may cache by them.
type candidates struct {
	invokers []protocol.Invoker
	grouped  []protocol.Invoker
}

var noCandidates = &candidates{}

// methodEntry holds the lists of one method name: under the name itself
// (plain, nil when no provider lists it) and under "<name>.<first arg>"
// (byArg).
type methodEntry struct {
	plain *candidates
	byArg map[string]*candidates
}

// methodMap is Dubbo 2.6's per-method invoker map (directory.md §9),
// immutable once built. The literal key "m.v" of the spec is split at its
// first '.' into method m and argument v, so a call looks it up without
// building a string; method names never hold a '.'.
type methodMap struct {
	all      *candidates // key "*": every invoker; noCandidates when none
	byMethod map[string]*methodEntry
	lists    [][]protocol.Invoker // the distinct lists, all's first, for Chain.Prepare
}

var emptyMethods = &methodMap{all: noCandidates}

// lookup returns the list for inv: "m.firstArg", then "m", then "*". It
// does not allocate.
func (m *methodMap) lookup(inv protocol.Invocation) *candidates {
	if len(m.byMethod) == 0 {
		return m.all
	}
	e := m.byMethod[protocol.RealMethodName(inv)]
	if e == nil {
		return m.all
	}
	if e.byArg != nil {
		if args := protocol.RealArguments(inv); len(args) > 0 {
			if k, ok := argKey(args[0]); ok {
				if c := e.byArg[k]; c != nil {
					return c
				}
			}
		}
	}
	if e.plain != nil {
		return e.plain
	}
	return m.all
}

// argKey renders a first argument the way Dubbo 2.6 keys it: a string as
// itself, an enum as its constant name.
func argKey(a any) (string, bool) {
	switch v := a.(type) {
	case string:
		return v, true
	case Enum:
		return v.EnumName(), true
	case nil:
		return "", false
	}
	if rv := reflect.ValueOf(a); rv.Kind() == reflect.String {
		return rv.String(), true
	}
	return "", false
}

// methodSet is the parsed methods param of provider URLs, interned per
// directory so that providers with the same list share one. Owned by the
// update goroutine.
type methodSet struct {
	names []string            // entries other than "" and "*", deduplicated
	has   map[string]struct{} // names as a set
	id    int                 // index while building one map
	count int                 // invokers with this set while building
	live  int                 // live entries with this set
}

func newMethodSet(list string) *methodSet {
	s := &methodSet{has: map[string]struct{}{}, id: -1}
	for _, m := range strings.Split(list, ",") {
		if m = strings.TrimSpace(m); m == "" || m == common.AnyValue {
			continue
		}
		if _, dup := s.has[m]; !dup {
			s.has[m] = struct{}{}
			s.names = append(s.names, m)
		}
	}
	return s
}

// buildMethods builds the map of entries (sorted, enabled), whose invokers
// are invokers (nil: read from entries) and whose method sets are sets
// (nil: read from entries; reading them from a slice of their own spares
// a visit to every entry). single, when not nil, is the one method set of
// every entry, so that no entry needs reading. group, when not nil, groups
// each distinct list for a multi-group directory.
func buildMethods(entries []*entry, sets []*methodSet, invokers []protocol.Invoker, single *methodSet, group func([]protocol.Invoker) []protocol.Invoker) *methodMap {
	if len(entries) == 0 {
		return emptyMethods
	}
	if invokers == nil {
		invokers = make([]protocol.Invoker, len(entries))
		for i, e := range entries {
			invokers[i] = e.invoker
		}
	}
	if sets == nil && single == nil {
		sets = make([]*methodSet, len(entries))
		for i, e := range entries {
			sets[i] = e.methods
		}
	}
	mk := func(list []protocol.Invoker) *candidates {
		c := &candidates{invokers: list, grouped: list}
		if group != nil {
			c.grouped = group(list)
		}
		return c
	}
	m := &methodMap{all: mk(invokers)}
	m.lists = append(m.lists, invokers)

	// The distinct method sets, and how many invokers have each.
	var distinct []*methodSet
	if single != nil {
		single.id, single.count = 0, len(entries)
		distinct = append(distinct, single)
	} else {
		for _, s := range sets {
			if s.id < 0 {
				s.id = len(distinct)
				s.count = 0
				distinct = append(distinct, s)
			}
			s.count++
		}
	}
	defer func() {
		for _, s := range distinct {
			s.id = -1
		}
	}()

	// For each key, the sets that list it; keys with the same sets share
	// one list.
	covering := map[string][]int{}
	var keys []string
	for _, s := range distinct {
		for _, name := range s.names {
			if _, ok := covering[name]; !ok {
				keys = append(keys, name)
			}
			covering[name] = append(covering[name], s.id)
		}
	}
	if len(keys) == 0 {
		return m
	}
	shared := map[string]*candidates{}
	m.byMethod = make(map[string]*methodEntry, len(keys))
	var sig strings.Builder
	for _, k := range keys {
		ids := covering[k]
		var c *candidates
		if len(ids) == len(distinct) {
			c = m.all
		} else {
			sig.Reset()
			for _, id := range ids {
				sig.WriteString(strconv.Itoa(id))
				sig.WriteByte(',')
			}
			if c = shared[sig.String()]; c == nil {
				in := make([]bool, len(distinct))
				n := 0
				for _, id := range ids {
					in[id] = true
					n += distinct[id].count
				}
				list := make([]protocol.Invoker, 0, n)
				for i, s := range sets {
					if in[s.id] {
						list = append(list, invokers[i])
					}
				}
				c = mk(list)
				shared[sig.String()] = c
				m.lists = append(m.lists, list)
			}
		}
		name, arg, hasArg := strings.Cut(k, ".")
		me := m.byMethod[name]
		if me == nil {
			me = &methodEntry{}
			m.byMethod[name] = me
		}
		if !hasArg {
			me.plain = c
			continue
		}
		if me.byArg == nil {
			me.byArg = map[string]*candidates{}
		}
		me.byArg[arg] = c
	}
	return m
}
