package configurator

import (
	"testing"

	"github.com/fleetrpc/fleet/common"
)

const benchRule = `configVersion: v2.7
scope: application
key: demo-consumer
configs:
  - side: consumer
    addresses: [0.0.0.0]
    providerAddresses: ["10.0.0.1:20880", "10.0.0.2:20880"]
    parameters: {timeout: 3000, weight: 200}
  - side: consumer
    services: [org.apache.dubbo.demo.DemoService, g1/org.apache.dubbo.demo.Other:1.0.0]
    parameters: {retries: 0}
`

// BenchmarkParseRules: a config-center rule into configurators, as a
// reference does on each change of a key.
func BenchmarkParseRules(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		rules, err := ParseRules([]byte(benchRule))
		if err != nil {
			b.Fatal(err)
		}
		if len(FromRules(rules, "10.0.0.9")) != 3 {
			b.Fatal("want 3 configurators")
		}
	}
}

// BenchmarkConfigureParsed: the parsed rules applied to one provider URL,
// as a directory does per provider when a rule changes.
func BenchmarkConfigureParsed(b *testing.B) {
	rules, err := ParseRules([]byte(benchRule))
	if err != nil {
		b.Fatal(err)
	}
	cs := FromRules(rules, "10.0.0.9")
	u := common.MustParse("dubbo://10.0.0.1:20880/org.apache.dubbo.demo.DemoService?application=demo-consumer&side=consumer&timeout=1000")
	b.ReportAllocs()
	for b.Loop() {
		Apply(cs, u)
	}
}
