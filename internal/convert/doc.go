// Package convert turns decoded values (what a codec or a caller produced:
// int32 for a Java int, map[any]any for a Java HashMap, map[string]any for
// a POJO without a Go type) into the Go types a method or proxy declares.
//
// It is internal: protocol/service, protocol/dubbo and config share it. It
// imports only the standard library.
package convert
