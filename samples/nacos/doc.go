// Package nacos is a sample: a provider and a consumer, two processes,
// meeting in a Nacos registry and configured by YAML files in dubbo-go's
// schema (see README.md). The programs are in provider/ and consumer/, the
// types they share in api/; this package holds only the test that runs
// them.
package nacos
