// Package extension is the table behind fleet's registration by name
// (protocols, registries, routers, clusters, load balancers), as
// database/sql keeps its drivers: Register panics on a nil value or a name
// taken twice (programming errors found at start-up), Get names what is
// missing. It imports only the standard library.
package extension

import (
	"fmt"
	"reflect"
	"slices"
	"sync"
)

// Table maps names to extensions of one kind. It is safe for concurrent use.
type Table[T any] struct {
	pkg, kind string // for messages: "protocol", "load balancer"

	mu sync.RWMutex
	m  map[string]T
}

// New returns an empty table; pkg prefixes its messages and kind names what
// it holds.
func New[T any](pkg, kind string) *Table[T] {
	return &Table[T]{pkg: pkg, kind: kind, m: map[string]T{}}
}

// Register adds v under name. It panics when v is nil or name is taken.
func (t *Table[T]) Register(name string, v T) {
	if isNil(v) {
		panic(fmt.Sprintf("%s: Register %s is nil", t.pkg, t.kind))
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if _, dup := t.m[name]; dup {
		panic(fmt.Sprintf("%s: Register called twice for %s %s", t.pkg, t.kind, name))
	}
	t.m[name] = v
}

// Get returns the extension registered under name, or an error naming it
// ("protocol: unknown protocol "x" (forgotten import?)").
func (t *Table[T]) Get(name string) (T, error) {
	t.mu.RLock()
	v, ok := t.m[name]
	t.mu.RUnlock()
	if !ok {
		return v, fmt.Errorf("%s: unknown %s %q (forgotten import?)", t.pkg, t.kind, name)
	}
	return v, nil
}

// Names lists the registered names, sorted.
func (t *Table[T]) Names() []string {
	t.mu.RLock()
	defer t.mu.RUnlock()
	names := make([]string, 0, len(t.m))
	for n := range t.m {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

func isNil(v any) bool {
	if v == nil {
		return true
	}
	switch rv := reflect.ValueOf(v); rv.Kind() {
	case reflect.Pointer, reflect.Func, reflect.Map, reflect.Interface, reflect.Slice, reflect.Chan:
		return rv.IsNil()
	}
	return false
}
