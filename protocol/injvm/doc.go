// Package injvm is the in-process protocol: services exported and referred
// inside one process, called with the same Invocation and Result values the
// wire protocols use, without sockets or serialization.
//
// It imports common, protocol and protocol/service; never a registry.
package injvm
