// Package cluster holds the Cluster contract — join a directory into one
// invoker that chooses, calls and retries providers — its table by name
// (the cluster URL parameter), and the fault-tolerance strategies of Java
// Dubbo 2.7/3.x (../shared/reference/cluster.md):
//
//   - failover (the default): retry RPC errors on other providers, never a
//     business error;
//   - failfast: one attempt;
//   - failsafe: swallow RPC failures, returning an empty result;
//   - failback: return an empty result and retry in the background;
//   - forking: call several providers in parallel, the first result wins;
//   - broadcast: call every provider;
//   - available: call the first available provider;
//   - zone-aware: choose among per-registry cluster invokers by zone;
//   - mergeable: call one group of several, or all of them and merge the
//     values (Merger, RegisterMerger); not registered by name yet (see
//     Mergeable).
//
// Every strategy's invoker shares the common invoke path (fail when
// destroyed, list the directory, take the balancer named by the first
// candidate's loadbalance param) and select (sticky invoker, reselect
// avoiding providers tried or unavailable; exported as Selector and
// Reselect for strategies written elsewhere). Failures read as Java's, and
// are *protocol.Error values that keep the kind of the last failure, so
// errors.Is(err, protocol.ErrTimeout) works through a cluster.
//
// Mock wraps any strategy with Dubbo's service degradation (the mock
// param: force or fail, return a value, throw, or a Go MockFunc), as Java's
// MockClusterWrapper wraps every cluster; the package registers the mock
// protocol that refers mock:// provider URLs.
//
// Statistics. Each attempt a strategy makes goes through
// loadbalance.Stats.Invoke (the strategy's Stats field, by default
// loadbalance.DefaultStats()), which counts calls in flight and records
// elapsed times per provider and method without locks; leastactive,
// shortestresponse, p2c and boundedhash read them. Invokers called outside
// a cluster can record through the filter of loadbalance.Stats.Filter.
//
// Optional interfaces: a Directory (or a zone-aware candidate) may
// implement RegistryURLer to name its registry; a LoadBalance may have a
// Name() string method, used in failfast's message.
//
// A cluster imports common, protocol, directory and cluster/loadbalance. It
// never imports a registry, a router implementation or config.
package cluster
