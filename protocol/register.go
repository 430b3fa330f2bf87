package protocol

import "github.com/fleetrpc/fleet/internal/extension"

var protocols = extension.New[Protocol]("protocol", "protocol")

// Register makes a protocol available under name (the URL scheme it serves,
// "dubbo", "injvm"), as database/sql registers drivers. It panics when p is
// nil or name is taken: both are programming errors found at start-up.
func Register(name string, p Protocol) { protocols.Register(name, p) }

// Get returns the protocol registered under name.
func Get(name string) (Protocol, error) { return protocols.Get(name) }

// Protocols lists the registered names, sorted.
func Protocols() []string { return protocols.Names() }
