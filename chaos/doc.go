// Package chaos is fleet's fault-injection suite: tests only, no API. It
// starts real processes — a ZooKeeper of its own (Debian's zookeeper
// package, on a free 127.0.0.1 port, data in a temporary folder), providers
// and a consumer built from internal/provider and internal/consumer — and
// injects faults into them while 16 callers call: a provider killed
// (SIGKILL) or frozen (SIGSTOP), ZooKeeper stopped and restarted with its
// data, the consumer's session expired, a consumer started while ZooKeeper
// is down, garbage written into the registry. Each scenario logs the calls
// made, the failures by kind and the longest stall (the longest time no
// call succeeded), and asserts them against its bound.
//
// The tests skip when the zookeeper package is not installed, unless CI is
// set: then they fail. The shared ZooKeeper of FLEET_ZK is never touched.
package chaos
