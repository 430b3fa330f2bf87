// Package zookeeper is a sample: a provider and a consumer, two processes,
// meeting in a ZooKeeper registry and configured by YAML files (see
// README.md). The programs are in provider/ and consumer/, the types they
// share in api/; this package holds only the test that runs them.
package zookeeper
