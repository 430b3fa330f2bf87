// Package memory is fleet's embedded registry: a complete registry inside
// the process, for samples, tests and programs that need no registry
// server. It follows Java Dubbo's semantics — full-list notifications per
// category, empty:// for an empty category, subscriptions to one interface
// or to *, Java's matching rules — so code tested against it behaves the
// same against ZooKeeper.
//
// A Store is the registry's state (what a ZooKeeper ensemble would hold);
// each Registry is one client session on it, registering, subscribing and,
// on Close, withdrawing what it registered. Open, the factory for memory://
// URLs, finds stores by the URL's address in a table of the process.
//
// It imports common and registry only.
package memory
