package router

import (
	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/protocol"
)

// Compilable is implemented by a Router whose result over one snapshot can
// be computed ahead of calls. A Chain compiles such routers when it is
// built; a router that is not Compilable is run per call through Route.
//
// Compile must agree with Route: for every call, applying the outcome that
// Decide picks to a list of the snapshot's invokers gives what Route would
// return for that list, the same consumer and the call (see Outcome).
type Compilable interface {
	Router
	// Compile prepares the router for the consumer URL and the invokers of
	// one snapshot. It runs off the call path, may allocate, and must not
	// keep or modify invokers beyond the returned value's lifetime needs. An
	// error means the router leaves calls unrouted, as an error from Route
	// does; the chain logs it.
	Compile(consumer *common.URL, invokers []protocol.Invoker) (Compiled, error)
}

// Compiled is a router prepared for one snapshot: a few possible outcomes,
// known in advance, and a function choosing a call's outcome.
type Compiled struct {
	// Outcomes are the router's possible results; at least one. A chain
	// caches its result per combination of outcomes, so keep them few
	// (two for a condition rule that reads the call).
	Outcomes []Outcome
	// Decide returns the index in Outcomes of a call's outcome. It is on the
	// call path: it must be safe for concurrent use, never block, and not
	// allocate in steady state. A nil Decide always picks outcome 0; an index
	// out of range is read as 0.
	Decide func(inv protocol.Invocation) int
	// PerInvoker promises that whether an invoker is in an outcome's Pool
	// depends only on that invoker, the consumer URL and the router, never
	// on the other invokers, and that the outcomes' number, All and Force,
	// and Decide depend on neither. Chain.Next then compiles only the
	// invokers a new snapshot adds, and takes the others' membership from
	// the previous chain.
	PerInvoker bool
	// ByMethod promises that Decide reads nothing of a call but its real
	// method name (protocol.RealMethodName) — a rule per method — so that a
	// chain with several such routers may decide once per method name and
	// reuse it.
	ByMethod bool
	// State is the router's own record of this compile, for CompileNext
	// (Incremental); the chain keeps it with the stage and hands it back
	// unread. It must be immutable once returned.
	State any
}

// Incremental is implemented by a Compilable router whose Compiled is not
// PerInvoker (its outcomes depend on the set of invokers, as the tag
// router's tags do) but can still be derived from the previous snapshot's
// without reading every invoker again. Chain.Next calls CompileNext, in
// place of Compile, for a router it also had (the same value) under the
// same consumer URL.
type Incremental interface {
	Compilable
	// CompileNext compiles the router for invokers, the next snapshot's,
	// from prev, what Compile or CompileNext returned for the previous
	// snapshot (its State included). m maps invokers to the previous
	// snapshot's (m.Len() is len(invokers)): the kept invokers are the same
	// values, so what the router derived from each of them holds, and
	// only the new ones need reading. The result must equal what Compile
	// would return for invokers (the same outcomes, pools and decisions);
	// it follows Compile's contract otherwise.
	CompileNext(prev Compiled, consumer *common.URL, invokers []protocol.Invoker, m Moves) (Compiled, error)
}

// Outcome is what a router does to its input list (the invokers that
// earlier routers left): keep it whole (All), or keep the invokers of Pool,
// in input order; when none of them is left, the result is the invokers of
// Fallback in the input when Fallback is set (possibly none: a tag router
// falling back to untagged providers), else empty if Force, otherwise the
// input unchanged.
type Outcome struct {
	All      bool
	Pool     Pool  // over the snapshot's invokers; ignored when All
	Force    bool  // ignored when Fallback is set
	Fallback *Pool // over the snapshot's invokers; nil: none
}

// Sequence is implemented by a Router made of other routers applied one
// after the other, each to the output of the one before (a YAML rule with
// several conditions). A Chain runs the members in place of the Sequence,
// at its priority, so that Compilable members are compiled.
type Sequence interface {
	Router
	// Members returns the routers in the order they run. The caller must not
	// modify the slice.
	Members() []Router
}
