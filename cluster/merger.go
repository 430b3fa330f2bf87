package cluster

import (
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"sync"
)

// Merger combines the values one call returned from several groups, for
// the mergeable strategy. values holds at least two values, in the order of
// the groups; Merge must not modify them.
type Merger interface {
	Merge(values []any) (any, error)
}

// MergerFunc adapts a function to a Merger.
type MergerFunc func(values []any) (any, error)

// Merge implements Merger.
func (f MergerFunc) Merge(values []any) (any, error) { return f(values) }

var (
	mergersMu sync.RWMutex
	mergers   = map[string]Merger{}
)

// RegisterMerger makes a merger available under name, the value of the
// merger param. It panics on nil or a duplicate. The built-in ones are
// "list" (also "array"): the slices concatenated; "set": concatenated
// without repeating an element (elements must be comparable); "map": the
// maps merged, later groups winning.
func RegisterMerger(name string, m Merger) {
	mergersMu.Lock()
	defer mergersMu.Unlock()
	if m == nil {
		panic("cluster: RegisterMerger merger is nil")
	}
	if _, dup := mergers[name]; dup {
		panic("cluster: RegisterMerger called twice for merger " + name)
	}
	mergers[name] = m
}

// MergerNames lists the registered mergers, sorted.
func MergerNames() []string {
	mergersMu.RLock()
	defer mergersMu.RUnlock()
	names := make([]string, 0, len(mergers))
	for n := range mergers {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func getMerger(name string) (Merger, bool) {
	mergersMu.RLock()
	defer mergersMu.RUnlock()
	m, ok := mergers[name]
	return m, ok
}

func init() {
	RegisterMerger("list", MergerFunc(mergeSlices))
	RegisterMerger("array", MergerFunc(mergeSlices))
	RegisterMerger("set", MergerFunc(mergeSets))
	RegisterMerger("map", MergerFunc(mergeMaps))
}

// errNoMerger is Java's wording for a value no merger knows.
var errNoMerger = errors.New("There is no merger to merge result.")

// mergerForValue is the merger of merger=true: by the kind of the first
// value (Java picks by the method's return type).
func mergerForValue(v any) (Merger, error) {
	switch reflect.ValueOf(v).Kind() {
	case reflect.Slice, reflect.Array:
		return MergerFunc(mergeSlices), nil
	case reflect.Map:
		return MergerFunc(mergeMaps), nil
	}
	return nil, errNoMerger
}

// sameType returns the reflect values of values, all of the first one's
// type; nil values are skipped.
func sameType(values []any) ([]reflect.Value, reflect.Type, error) {
	var (
		out []reflect.Value
		typ reflect.Type
	)
	for _, v := range values {
		if v == nil {
			continue
		}
		rv := reflect.ValueOf(v)
		if typ == nil {
			typ = rv.Type()
		} else if rv.Type() != typ {
			return nil, nil, fmt.Errorf("cluster: cannot merge %s with %s", typ, rv.Type())
		}
		out = append(out, rv)
	}
	return out, typ, nil
}

func mergeSlices(values []any) (any, error) {
	vs, typ, err := sameType(values)
	if err != nil || typ == nil {
		return nil, err
	}
	if typ.Kind() != reflect.Slice && typ.Kind() != reflect.Array {
		return nil, fmt.Errorf("cluster: %s is not a slice", typ)
	}
	out := reflect.MakeSlice(reflect.SliceOf(typ.Elem()), 0, 0)
	for _, v := range vs {
		for i := 0; i < v.Len(); i++ {
			out = reflect.Append(out, v.Index(i))
		}
	}
	return out.Interface(), nil
}

func mergeSets(values []any) (any, error) {
	merged, err := mergeSlices(values)
	if err != nil || merged == nil {
		return merged, err
	}
	all := reflect.ValueOf(merged)
	if !all.Type().Elem().Comparable() {
		return nil, fmt.Errorf("cluster: %s elements are not comparable", all.Type().Elem())
	}
	seen := map[any]bool{}
	out := reflect.MakeSlice(all.Type(), 0, all.Len())
	for i := 0; i < all.Len(); i++ {
		e := all.Index(i)
		if k := e.Interface(); !seen[k] {
			seen[k] = true
			out = reflect.Append(out, e)
		}
	}
	return out.Interface(), nil
}

func mergeMaps(values []any) (any, error) {
	vs, typ, err := sameType(values)
	if err != nil || typ == nil {
		return nil, err
	}
	if typ.Kind() != reflect.Map {
		return nil, fmt.Errorf("cluster: %s is not a map", typ)
	}
	out := reflect.MakeMap(typ)
	for _, v := range vs {
		it := v.MapRange()
		for it.Next() {
			out.SetMapIndex(it.Key(), it.Value())
		}
	}
	return out.Interface(), nil
}

// mergeByMethod is merger=.name: the method name (or Name) of the first
// value is called with each other value in turn; when it returns a value
// of the first value's type, that is the running result, else the first
// value is taken to be updated in place (Java's method merger).
func mergeByMethod(name string, values []any) (any, error) {
	result := reflect.ValueOf(values[0])
	if !result.IsValid() || name == "" {
		return nil, fmt.Errorf("Can not merge result because missing method [ %s ] in class [ %T ]", name, values[0])
	}
	if !result.MethodByName(name).IsValid() {
		name = strings.ToUpper(name[:1]) + name[1:]
	}
	m := result.MethodByName(name)
	if !m.IsValid() || m.Type().NumIn() != 1 {
		return nil, fmt.Errorf("Can not merge result because missing method [ %s ] in class [ %s ]", name, result.Type())
	}
	chain := m.Type().NumOut() >= 1 && m.Type().Out(0).AssignableTo(result.Type())
	for _, v := range values[1:] {
		arg := reflect.ValueOf(v)
		if !arg.IsValid() || !arg.Type().AssignableTo(m.Type().In(0)) {
			return nil, fmt.Errorf("Can not merge result: %T is not a %s", v, m.Type().In(0))
		}
		out := result.MethodByName(name).Call([]reflect.Value{arg})
		if chain {
			result = out[0]
		}
	}
	return result.Interface(), nil
}
