package condition_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/fleetrpc/fleet/protocol"
	"github.com/fleetrpc/fleet/router"
	"github.com/fleetrpc/fleet/router/condition"
)

func TestParseYAML(t *testing.T) {
	r, err := condition.ParseYAML([]byte(`
configVersion: v3.0
scope: application
key: demo-consumer
force: true
runtime: false
enabled: true
priority: 1
conditions:
  - method!=sayHello => address=30.5.120.16:20880
  - method=routeMethod1 =>
`))
	require.NoError(t, err)
	require.Equal(t, "v3.0", r.ConfigVersion)
	require.Equal(t, "application", r.Scope)
	require.Equal(t, "demo-consumer", r.Key)
	require.True(t, r.Force)
	require.False(t, r.Runtime)
	require.True(t, r.Enabled)
	require.Equal(t, 1, r.Priority)
	require.Len(t, r.Conditions, 2)
	require.Equal(t, "method!=sayHello => address=30.5.120.16:20880", r.Conditions[0].String())
	require.True(t, r.Conditions[1].Blacklist())

	d, err := condition.ParseYAML([]byte("conditions: ['=> host = 1.2.3.4']"))
	require.NoError(t, err)
	require.Equal(t, condition.YAMLRule{Runtime: true, Enabled: true, Conditions: d.Conditions}, *d, "defaults")

	s, err := condition.ParseYAML([]byte("force: 'TRUE'\nenabled: 'no'\npriority: '7'\nconditions: ['=> host = 1.2.3.4']"))
	require.NoError(t, err)
	require.True(t, s.Force)
	require.False(t, s.Enabled)
	require.Equal(t, 7, s.Priority)
}

func TestParseYAMLRejects(t *testing.T) {
	tests := []struct {
		name, yaml, want string
	}{
		{"empty", "", "empty yaml"},
		{"not yaml", "conditions: [", "parse yaml"},
		{"not a mapping", "- a => b", "parse yaml"},
		{"no conditions", "key: k\nforce: true", "condition rule k: no conditions"},
		{"empty conditions", "conditions: []", "no conditions"},
		{"conditions not a list", "conditions: 'host = a => host = b'", "no conditions"},
		{"bad condition", "key: k\nconditions:\n  - '=> host = a'\n  - 'host == a => host = b'",
			`condition rule k: condition 1: Illegal route rule "host == a", The error char '==' at index 5 before "a".`},
		{"blank condition", "conditions: ['  ']", "Illegal route rule!"},
		{"map condition", "conditions:\n  - from: {match: a=b}", "condition 0 is not a string"},
		{"bad priority", "priority: high\nconditions: ['=> host = a']", `priority "high" is not an integer`},
		{"after v3.1", "configVersion: v3.2\nconditions: ['=> host = a']", `configVersion "v3.2" is not supported`},
		{"v3.1 with a string condition", "configVersion: v3.1\nconditions: ['=> host = a']", "a v3.1 condition is a mapping with from and to"},
		{"v3.1 without from", "configVersion: v3.1\nconditions: [{to: [{match: host = a}]}]", "from is missing"},
		{"v3.1 bad to match", "configVersion: v3.1\nconditions: [{from: {match: ''}, to: [{match: 'host == a'}]}]", "to 0: Illegal route rule"},
		{"v3.1 bad weight", "configVersion: v3.1\nconditions: [{from: {match: ''}, to: [{match: 'host = a', weight: x}]}]", `to 0: weight "x"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := condition.ParseYAML([]byte(tt.yaml))
			require.Error(t, err)
			require.Contains(t, err.Error(), tt.want)
			_, err = condition.FromYAML([]byte(tt.yaml))
			require.Error(t, err)
		})
	}
}

func TestRuleSetRunsConditionsInSequence(t *testing.T) {
	list := invokers(t, providerA, providerB, providerC, providerD)
	consumer := mustURL(t, consumerURL)
	tests := []struct {
		name, yaml string
		inv        protocol.Invocation
		want       []string
		priority   int
	}{
		{"each condition on the previous output", "scope: service\nconditions:\n  - '=> host = 10.20.3.*'\n  - '=> env = gray'",
			nil, []string{addrB}, condition.ServicePriority},
		{"a later condition that matches none keeps the input", "conditions:\n  - '=> host = 10.20.3.*'\n  - '=> env = prod'",
			nil, []string{addrA, addrB}, condition.ServicePriority},
		{"force applies to every condition", "force: true\nconditions:\n  - '=> host = 10.20.3.*'\n  - '=> env = prod'",
			nil, []string{}, condition.ServicePriority},
		{"disabled", "enabled: false\nconditions:\n  - '=> host = 10.20.3.*'", nil, all, condition.ServicePriority},
		{"application scope", "scope: application\nkey: foo\nconditions:\n  - 'method = getFoo => host = 1.2.3.4'",
			protocol.NewInvocation("getFoo"), []string{addrC}, condition.ApplicationPriority},
		{"method blacklist", "scope: application\nconditions:\n  - 'method = getFoo =>'",
			protocol.NewInvocation("getFoo"), []string{}, condition.ApplicationPriority},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			set, err := condition.FromYAML([]byte(tt.yaml))
			require.NoError(t, err)
			require.Equal(t, tt.priority, set.Priority())
			require.Nil(t, set.URL())
			require.Equal(t, tt.want, route(t, set, list, consumer, tt.inv))
		})
	}
}

func TestRuleSetPriorityInChain(t *testing.T) {
	list := invokers(t, providerA, providerB, providerC, providerD)
	consumer := mustURL(t, consumerURL)
	app, err := condition.FromYAML([]byte("scope: application\npriority: -1000\nconditions: ['=> host = 1.2.3.4']"))
	require.NoError(t, err)
	svc, err := condition.FromYAML([]byte("scope: service\nconditions: ['=> host = 10.20.3.*']"))
	require.NoError(t, err)
	url := newRouter(t, "=> application = baz", "priority=200")
	// service (140) keeps A and B; application (150) matches none: unchanged;
	// the URL rule (200) matches none: unchanged.
	c := router.NewChain([]router.Router{url, app, svc}, list, consumer, nil)
	require.Equal(t, []router.Router{svc, app, url}, c.Routers())
	require.Equal(t, []string{addrA, addrB}, hosts(c.Route(list, nil)))
}
