// Package service turns a Go value into a protocol.Invoker: its exported
// methods become the service's methods, callable by the name a Go caller
// uses (SayHello) and by the name a Java consumer sends (sayHello).
//
// Protocols use it on the provider side (protocol/injvm, protocol/dubbo).
// It imports only common and protocol.
package service
