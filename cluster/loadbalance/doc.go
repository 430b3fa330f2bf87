// Package loadbalance holds the LoadBalance contract — pick one invoker of
// the candidates of a call — its table by name (the loadbalance URL
// parameter), and the balancers:
//
//   - random (the default): weighted, with Dubbo 3.x's linear warm-up;
//   - roundrobin: smooth weighted round robin, state kept by provider
//     identity across snapshots;
//   - leastactive: fewest calls in flight, weighted tie-break;
//   - shortestresponse: shortest expected response over a sliding window;
//   - consistenthash: a ketama ring over MD5, the same key to the same
//     provider;
//   - p2c (beyond Dubbo): power of two choices over calls in flight and a
//     latency average, with slow start;
//   - boundedhash (beyond Dubbo): consistent hashing with bounded loads.
//
// Weights follow Java's AbstractLoadBalance.getWeight (see Weight).
// Balancers precompute per candidate list — a directory snapshot — what
// they read from the URLs (weights, timestamps, rings, the statistics of
// each candidate), so Select reads no URL and does not allocate once a
// list has been seen; a new list (a new snapshot) is the only time they
// build. Their state is held in the balancer value, never in package
// variables, except DefaultStats, the process-wide call statistics (Java's
// RpcStatus) shared by the registered balancers and the cluster strategies.
//
// It imports common and protocol only.
package loadbalance
