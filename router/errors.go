package router

import "errors"

var (
	errNoOutcome = errors.New("router: compiled router has no outcome")
	errPoolSize  = errors.New("router: compiled router's pool is not over the snapshot's invokers")
)
