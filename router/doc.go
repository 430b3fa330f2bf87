// Package router holds the Router contract — a rule that narrows the
// providers a call may reach — and the table of router factories by type
// (condition, tag, …).
//
// A router imports common and protocol only: never a directory, a cluster
// or a registry.
package router
