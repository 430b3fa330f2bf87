// Package router holds the Router contract — a rule that narrows the
// providers a call may reach — the table of router factories by type
// (condition, tag, …), and the Chain that runs a snapshot's routers.
//
// # Chain
//
// A directory builds one Chain per snapshot (NewChain, or Next from the
// previous snapshot's chain; NextMoved when it knows which runs of the
// previous invokers it kept, as Moves) and calls Route on the call path
// with the snapshot's invokers or a per-method list the snapshot holds.
// Routers run in ascending priority; a Sequence runs its members in its
// place.
//
// # Optional interfaces
//
// Router is the base contract; routers extend it with optional interfaces:
//
//   - Compilable: the router compiles, once per snapshot, into a few
//     outcomes (keep all, or keep a Pool of the snapshot's invokers, with or
//     without falling back to the input when nothing is left) and a Decide
//     function picking a call's outcome. The chain caches its result per
//     candidate list and combination of outcomes, so a routed call does not
//     allocate. With Compiled.PerInvoker, Chain.Next recompiles only the
//     invokers a snapshot adds; with Compiled.ByMethod, calls are decided
//     once per method name.
//   - Incremental: a Compilable router whose outcomes depend on the whole
//     set of invokers (the tag router) compiles the next snapshot from its
//     previous compile (CompileNext), reading only the invokers it adds and
//     moving its pools by the Moves (Moves.Pool).
//   - Sequence: the router is a list of routers applied in turn.
//   - Explainer: the router says why it routed as it did (Explain).
//   - Kinded: a built-in router of which a chain holds one (the tag
//     router); Replace puts a later one of its kind in its place.
//
// # Built-in routers
//
// Mock is Java's MockInvokersSelector (priority -100): mock:// providers
// only for calls with invocation.need.mock=true, and never otherwise. The
// tag router is in router/tag.
//
// Routers that are not Compilable still work: from the first of them on,
// the chain runs each router's Route per call.
//
// # Rule URLs
//
// New builds a router from a registry rule URL with the factory named by
// TypeOf: its router param, else its protocol.
//
// A router imports common and protocol only: never a directory, a cluster
// or a registry.
package router
