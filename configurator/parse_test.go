package configurator

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/fleetrpc/fleet/common"
)

// The YAML of these cases are Java's ConfigParserTest fixtures (dubbo-cluster
// test resources), restated; want lists the URLs Java's parser gives.
func TestParseRules(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want []string
	}{
		{"rules.md worked example", `
configVersion: v2.7
scope: service
key: g1/org.apache.dubbo.demo.DemoService:1.0.0
configs:
  - side: consumer
    parameters: {timeout: 6000, retries: 0}
`, []string{"override://0.0.0.0/org.apache.dubbo.demo.DemoService?group=g1&version=1.0.0&category=dynamicconfigurators&side=consumer&timeout=6000&retries=0&enabled=true&configVersion=v2.7"}},
		{"ServiceNoApp: no configVersion is written as null", `
apiVersion: v2.7
scope: service
key: serviceKey
configs:
- addresses: ['127.0.0.1:20880', '0.0.0.0:20881']
  parameters:
    weight: 222
`, []string{
			"override://127.0.0.1:20880/serviceKey?category=dynamicconfigurators&weight=222&enabled=true&configVersion=null",
			"override://0.0.0.0:20881/serviceKey?category=dynamicconfigurators&weight=222&enabled=true&configVersion=null",
		}},
		{"ServiceGroupVersion", `
configVersion: v2.7
scope: service
key: testgroup/serviceKey:1.0.0
configs:
- addresses: [127.0.0.1]
  side: provider
  parameters: {weight: 222}
`, []string{"override://127.0.0.1/serviceKey?group=testgroup&version=1.0.0&category=dynamicconfigurators&side=provider&weight=222&enabled=true&configVersion=v2.7"}},
		{"ServiceMultiApps: one url per address and application", `
apiVersion: v2.7
scope: service
key: serviceKey
configs:
- addresses: [127.0.0.1, 0.0.0.0]
  applications: [app1, app2]
  parameters:
    timeout: 6666
`, []string{
			"override://127.0.0.1/serviceKey?category=dynamicconfigurators&timeout=6666&enabled=true&configVersion=null&application=app1",
			"override://127.0.0.1/serviceKey?category=dynamicconfigurators&timeout=6666&enabled=true&configVersion=null&application=app2",
			"override://0.0.0.0/serviceKey?category=dynamicconfigurators&timeout=6666&enabled=true&configVersion=null&application=app1",
			"override://0.0.0.0/serviceKey?category=dynamicconfigurators&timeout=6666&enabled=true&configVersion=null&application=app2",
		}},
		{"AppMultiServices: the second category wins", `
configVersion: v2.7
scope: application
key: demo-consumer
configs:
- addresses: [127.0.0.1, 0.0.0.0]
  services: ['service1', 'service2']
  parameters:
    loadbalance: random
    cluster: failfast
    timeout: 6666
`, []string{
			"override://127.0.0.1/service1?loadbalance=random&cluster=failfast&timeout=6666&application=demo-consumer&enabled=true&category=appdynamicconfigurators&configVersion=v2.7",
			"override://127.0.0.1/service2?loadbalance=random&cluster=failfast&timeout=6666&application=demo-consumer&enabled=true&category=appdynamicconfigurators&configVersion=v2.7",
			"override://0.0.0.0/service1?loadbalance=random&cluster=failfast&timeout=6666&application=demo-consumer&enabled=true&category=appdynamicconfigurators&configVersion=v2.7",
			"override://0.0.0.0/service2?loadbalance=random&cluster=failfast&timeout=6666&application=demo-consumer&enabled=true&category=appdynamicconfigurators&configVersion=v2.7",
		}},
		{"AppNoService: any service", `
configVersion: v2.7
scope: application
key: demo-consumer
configs:
- addresses: [127.0.0.1]
  parameters: {loadbalance: random, timeout: 6666}
`, []string{"override://127.0.0.1/*?loadbalance=random&timeout=6666&application=demo-consumer&enabled=true&category=appdynamicconfigurators&configVersion=v2.7"}},
		{"ConsumerSpecificProviders", `
configVersion: v2.7
scope: application
key: demo-consumer
configs:
- addresses: [127.0.0.1]
  providerAddresses: [127.0.0.1:20880]
  side: consumer
  parameters: {loadbalance: random, timeout: 6666}
`, []string{"override://127.0.0.1/*?side=consumer&loadbalance=random&timeout=6666&providerAddresses=127.0.0.1:20880&application=demo-consumer&enabled=true&category=appdynamicconfigurators&configVersion=v2.7"}},
		{"v3.0 provider side gets its addresses as providerAddresses", `
configVersion: v3.0
scope: application
key: demo-provider
configs:
  - addresses: ["10.0.0.1:20880"]
    services: [ "DemoService" ]
    side: provider
    parameters:
      weight: 200
`, []string{"override://10.0.0.1:20880/DemoService?side=provider&weight=200&providerAddresses=10.0.0.1:20880&application=demo-provider&enabled=true&category=appdynamicconfigurators&configVersion=v3.0"}},
		{"v2.7 provider side does not", `
configVersion: v2.7
scope: service
key: DemoService
configs:
  - addresses: ["10.0.0.1:20880"]
    side: provider
    parameters: {weight: 200}
`, []string{"override://10.0.0.1:20880/DemoService?category=dynamicconfigurators&side=provider&weight=200&enabled=true&configVersion=v2.7"}},
		{"enabled: rule-level for general items, the item's own otherwise", `
configVersion: v2.7
key: s
enabled: false
configs:
  - parameters: {a: 1}
  - type: general
    enabled: true
    parameters: {a: 2}
  - type: weight
    enabled: true
    parameters: {a: 3}
  - type: weight
    parameters: {a: 4}
`, []string{
			"override://0.0.0.0/s?category=dynamicconfigurators&a=1&enabled=false&configVersion=v2.7",
			"override://0.0.0.0/s?category=dynamicconfigurators&a=2&enabled=false&configVersion=v2.7",
			"override://0.0.0.0/s?category=dynamicconfigurators&a=3&enabled=true&configVersion=v2.7",
			"override://0.0.0.0/s?category=dynamicconfigurators&a=4&enabled=null&configVersion=v2.7",
		}},
		{"parameters cannot beat enabled and configVersion but beat category and side", `
configVersion: v2.7
key: s
configs:
  - side: consumer
    parameters: {enabled: false, configVersion: x, category: c, side: provider, weight: 1.0}
`, []string{"override://0.0.0.0/s?category=c&side=provider&weight=1.0&enabled=true&configVersion=v2.7"}},
		{"json array of urls", `["override://0.0.0.0/com.xx.Service?category=configurators&timeout=6666&disabled=true&dynamic=false&enabled=true&group=dubbo&priority=1&version=1.0"]`,
			[]string{"override://0.0.0.0/com.xx.Service?category=configurators&timeout=6666&disabled=true&dynamic=false&enabled=true&group=dubbo&priority=1&version=1.0"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rules, err := ParseRules([]byte(tt.yaml))
			require.NoError(t, err)
			got := make([]string, len(rules))
			for i, r := range rules {
				got[i] = r.URL.String()
			}
			want := make([]string, len(tt.want))
			for i, w := range tt.want {
				want[i] = common.MustParse(w).String()
			}
			require.Equal(t, want, got)
		})
	}
}

func TestParseRulesErrors(t *testing.T) {
	tests := []struct {
		name, yaml, want string
	}{
		{"ServiceNoRule: no parameters", "configVersion: v2.7\nkey: s\nconfigs:\n- addresses: [127.0.0.1]\n  side: consumer\n",
			"configurator rule s: config 0: Invalid configurator rule, please specify at least one parameter you want to change in the rule."},
		{"no key", "configVersion: v2.7\nconfigs:\n- parameters: {a: 1}\n", "configurator rule: config 0: service field in configuration is null."},
		{"empty service", "configVersion: v2.7\nscope: application\nkey: app\nconfigs:\n- services: ['']\n  parameters: {a: 1}\n",
			"configurator rule app: config 0: service field in configuration is null."},
		{"no configs", "configVersion: v2.7\nkey: s\n", "configurator rule s: no configs"},
		{"garbage", "{{{not yaml", "configurator rule: parse yaml"},
		{"not a mapping", "- a\n- b\n", "configurator rule: parse yaml"},
		{"empty", "", "configurator rule: empty yaml"},
		{"addresses not a list", "key: s\nconfigs:\n- addresses: 1.2.3.4\n  parameters: {a: 1}\n", "configurator rule s: config 0: addresses: not a list"},
		{"bad port", "key: s\nconfigs:\n- addresses: ['1.2.3.4:x']\n  parameters: {a: 1}\n", `configurator rule s: config 0: address "1.2.3.4:x": bad port`},
		{"bad regex", "key: s\nconfigs:\n- parameters: {a: 1}\n  match: {param: [{key: k, value: {regex: '('}}]}\n", "configurator rule s: config 0: match: param 0 (k): regex"},
		{"empty match kind", "key: s\nconfigs:\n- parameters: {a: 1}\n  match: {service: {oneof: [{}]}}\n", "configurator rule s: config 0: match: service: oneof 0: none of"},
		{"null parameter", "key: s\nconfigs:\n- parameters: {a: }\n", `configurator rule s: config 0: parameter "a" has no value`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseRules([]byte(tt.yaml))
			require.Error(t, err)
			require.Contains(t, err.Error(), tt.want)
		})
	}
}

// TestParseRulesMatch restates Java's parseProviderConfigurationV3 and its
// duplicate variant: the item's match travels with the URL and decides.
func TestParseRulesMatch(t *testing.T) {
	const v3 = `
configVersion: v3.0
scope: application
key: demo-provider
configs:
  - match:
      address:
        wildcard: "10.0.0.1:20880"
      service:
        oneof:
          - exact: "DemoService"
          - exact: "DemoService2"
      param:
        - key: match_key1
          value:
            exact: value1
    side: provider
    parameters:
      weight: 200
`
	rules, err := ParseRules([]byte(v3))
	require.NoError(t, err)
	require.Len(t, rules, 1)
	u := rules[0].URL
	require.Equal(t, "0.0.0.0", u.Address())
	require.Equal(t, "*", u.ServiceInterface())
	require.Equal(t, "200", u.ParamOr("weight", ""))
	require.Equal(t, "demo-provider", u.ParamOr("application", ""))
	m := rules[0].Match
	require.NotNil(t, m)
	for _, tt := range []struct {
		url  string
		want bool
	}{
		{"dubbo://10.0.0.1:20880/DemoService?match_key1=value1", true},
		{"dubbo://10.0.0.1:20880/DemoService2?match_key1=value1", true},
		{"dubbo://10.0.0.2:20880/DemoService?match_key1=value1", false},
		{"dubbo://10.0.0.1:20880/DemoServiceNotMatch?match_key1=value1", false},
		{"dubbo://10.0.0.1:20880/DemoService?match_key1=value_not_match", false},
		{"dubbo://10.0.0.1:20880/DemoService", false},
	} {
		target := common.MustParse(tt.url)
		require.Equal(t, tt.want, m.Matches(target.Address(), target), tt.url)
	}

	// Applied to provider URLs: the provider at 10.0.0.1:20880 with the
	// param gets the weight, the others keep theirs.
	cs := FromRules(rules, "10.9.9.9")
	require.Len(t, cs, 1)
	hit := common.MustParse("dubbo://10.0.0.1:20880/DemoService?side=provider&application=demo-provider&match_key1=value1&weight=100")
	require.Equal(t, "200", cs[0].Configure(hit).ParamOr("weight", ""))
	miss := common.MustParse("dubbo://10.0.0.2:20880/DemoService?side=provider&application=demo-provider&match_key1=value1&weight=100")
	require.Same(t, miss, cs[0].Configure(miss))
}

func TestStringAndAddressMatch(t *testing.T) {
	sm := func(y string) StringMatch {
		t.Helper()
		rules, err := ParseRules([]byte("key: s\nconfigs:\n- parameters: {a: 1}\n  match: {param: [{key: k, value: " + y + "}]}\n"))
		require.NoError(t, err)
		return rules[0].Match.Param[0].Value
	}
	tests := []struct {
		match   string
		value   string
		present bool
		want    bool
	}{
		{"{exact: v}", "v", true, true},
		{"{exact: v}", "w", true, false},
		{"{exact: v}", "", false, false},
		{"{prefix: ab}", "abc", true, true},
		{"{prefix: ab}", "xabc", true, false},
		{"{regex: 'a.c'}", "abc", true, true},
		{"{regex: 'a.c'}", "abcd", true, false},
		{"{wildcard: '*'}", "x", true, true},
		{"{wildcard: '*'}", "", false, false},
		{"{wildcard: x}", "x", true, true},
		{"{empty: true}", "", false, true},
		{"{empty: true}", "", true, true},
		{"{empty: true}", "x", true, false},
		{"{noempty: true}", "x", true, true},
		{"{noempty: true}", "", true, false},
	}
	for _, tt := range tests {
		m := sm(tt.match)
		require.Equal(t, tt.want, m.Match(tt.value, tt.present), "%s %q %v", tt.match, tt.value, tt.present)
	}
	addr := []struct {
		a     AddressMatch
		input string
		want  bool
	}{
		{AddressMatch{Cird: "10.0.0.0/24"}, "10.0.0.7", true},
		{AddressMatch{Cird: "10.0.0.0/24"}, "10.0.1.7", false},
		{AddressMatch{Cird: "10.0.0.*"}, "10.0.0.7:20880", true},
		{AddressMatch{Wildcard: "0.0.0.0"}, "1.2.3.4", true},
		{AddressMatch{Wildcard: "10.0.0.*"}, "10.0.0.1:20880", true},
		{AddressMatch{Wildcard: "10.0.0.1:20880"}, "10.0.0.1:20881", false},
		{AddressMatch{Exact: "10.0.0.1"}, "10.0.0.1", true},
		{AddressMatch{Exact: "10.0.0.1"}, "10.0.0.2", false},
		{AddressMatch{}, "10.0.0.2", false},
	}
	for _, tt := range addr {
		require.Equal(t, tt.want, tt.a.Match(tt.input), "%+v %s", tt.a, tt.input)
	}
}

// TestParsedRuleApplies runs the worked example of rules.md §3.6 end to
// end: the parsed rule applied to a consumer-side provider URL.
func TestParsedRuleApplies(t *testing.T) {
	rules, err := ParseRules([]byte(`
configVersion: v2.7
scope: service
key: g1/org.apache.dubbo.demo.DemoService:1.0.0
configs:
  - side: consumer
    parameters: {timeout: 6000, retries: 0}
`))
	require.NoError(t, err)
	cs := FromRules(rules, local)
	require.Len(t, cs, 1)
	u := common.MustParse("dubbo://10.0.0.1:20880/org.apache.dubbo.demo.DemoService?side=consumer&group=g1&version=1.0.0&timeout=1000")
	got := cs[0].Configure(u)
	require.Equal(t, "6000", got.ParamOr("timeout", ""))
	require.Equal(t, "0", got.ParamOr("retries", ""))
	require.False(t, got.Has("configVersion"))
	require.False(t, got.Has("category"))
}
