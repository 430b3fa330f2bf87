package protocol

import (
	"fmt"
	"sort"
	"sync"
)

var (
	protocolsMu sync.RWMutex
	protocols   = map[string]Protocol{}
)

// Register makes a protocol available under name (the URL scheme it serves,
// "dubbo", "injvm"), as database/sql registers drivers. It panics when p is
// nil or name is taken: both are programming errors found at start-up.
func Register(name string, p Protocol) {
	protocolsMu.Lock()
	defer protocolsMu.Unlock()
	if p == nil {
		panic("protocol: Register protocol is nil")
	}
	if _, dup := protocols[name]; dup {
		panic("protocol: Register called twice for protocol " + name)
	}
	protocols[name] = p
}

// Get returns the protocol registered under name.
func Get(name string) (Protocol, error) {
	protocolsMu.RLock()
	p, ok := protocols[name]
	protocolsMu.RUnlock()
	if !ok {
		return nil, fmt.Errorf("protocol: unknown protocol %q (forgotten import?)", name)
	}
	return p, nil
}

// Protocols lists the registered names, sorted.
func Protocols() []string {
	protocolsMu.RLock()
	defer protocolsMu.RUnlock()
	names := make([]string, 0, len(protocols))
	for n := range protocols {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
