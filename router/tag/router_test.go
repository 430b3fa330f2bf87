package tag_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/router"
	"github.com/fleetrpc/fleet/router/tag"
)

const consumer = "consumer://1.1.1.1/com.foo.BarService?application=c"

func TestStaticTags(t *testing.T) {
	list := invokers(t,
		"dubbo://10.0.0.1:20880/com.foo.BarService?remote.application=p",
		"dubbo://10.0.0.2:20880/com.foo.BarService?remote.application=p&dubbo.tag=gray",
		"dubbo://10.0.0.3:20880/com.foo.BarService?remote.application=p&dubbo.tag=blue",
		"dubbo://10.0.0.4:20880/com.foo.BarService?remote.application=p&dubbo.tag=",
	)
	tests := []struct {
		name     string
		consumer string
		atts     []string
		want     []string
	}{
		{"untagged call: untagged providers", "", nil, []string{"10.0.0.1", "10.0.0.4"}},
		{"tagged call", "", []string{"dubbo.tag", "gray"}, []string{"10.0.0.2"}},
		{"tagged call, forced", "", []string{"dubbo.tag", "gray", "dubbo.force.tag", "true"}, []string{"10.0.0.2"}},
		{"unknown tag falls back to untagged", "", []string{"dubbo.tag", "red"}, []string{"10.0.0.1", "10.0.0.4"}},
		{"unknown tag forced: none", "", []string{"dubbo.tag", "red", "dubbo.force.tag", "TRUE"}, []string{}},
		{"force false explicitly", "", []string{"dubbo.tag", "red", "dubbo.force.tag", "false"}, []string{"10.0.0.1", "10.0.0.4"}},
		{"consumer tag", "&dubbo.tag=blue", nil, []string{"10.0.0.3"}},
		{"attachment wins over consumer tag", "&dubbo.tag=blue", []string{"dubbo.tag", "gray"}, []string{"10.0.0.2"}},
		{"empty attachment keeps consumer tag", "&dubbo.tag=blue", []string{"dubbo.tag", ""}, []string{"10.0.0.3"}},
		{"consumer force", "&dubbo.tag=red&dubbo.force.tag=true", nil, []string{}},
		{"attachment force wins over consumer", "&dubbo.tag=red&dubbo.force.tag=true", []string{"dubbo.force.tag", "false"}, []string{"10.0.0.1", "10.0.0.4"}},
		{"empty attachment force keeps consumer force", "&dubbo.tag=red&dubbo.force.tag=true", []string{"dubbo.force.tag", ""}, []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := route(t, tag.Static(), list, mustURL(t, consumer+tt.consumer), call(tt.atts...))
			require.Equal(t, tt.want, got)
		})
	}
	t.Run("only tagged providers: an untagged call reaches none", func(t *testing.T) {
		got := route(t, tag.Static(), list[1:3], mustURL(t, consumer), call())
		require.Equal(t, []string{}, got)
	})
	t.Run("nil invocation reads the consumer", func(t *testing.T) {
		got := route(t, tag.Static(), list, mustURL(t, consumer+"&dubbo.tag=gray"), nil)
		require.Equal(t, []string{"10.0.0.2"}, got)
	})
}

const grayRule = `
configVersion: v2.7
force: false
enabled: true
runtime: false
key: p
tags:
  - name: gray
    addresses: ["10.0.0.2:20880", "10.0.1.*"]
  - name: empty
    addresses: ~
`

func TestDynamicRule(t *testing.T) {
	list := invokers(t,
		"dubbo://10.0.0.1:20880/com.foo.BarService?remote.application=p",
		"dubbo://10.0.0.2:20880/com.foo.BarService?remote.application=p&dubbo.tag=blue",
		"dubbo://10.0.0.3:20880/com.foo.BarService?remote.application=p&dubbo.tag=gray",
		"dubbo://10.0.0.4:20880/com.foo.BarService?remote.application=p",
		"dubbo://10.0.1.5:20881/com.foo.BarService?remote.application=p",
		"dubbo://10.0.0.6:20880/com.foo.BarService?remote.application=p&dubbo.tag=empty",
		"dubbo://10.0.0.7:20880/com.foo.BarService?remote.application=p&dubbo.tag=other",
	)
	r, err := tag.FromYAML("p", []byte(grayRule))
	require.NoError(t, err)
	forced, err := tag.FromYAML("p", []byte("force: true\n"+grayRule[len("\nconfigVersion: v2.7\nforce: false\n"):]))
	require.NoError(t, err)
	require.True(t, forced.Rule().Force)
	tests := []struct {
		name string
		r    *tag.Router
		list []int // indexes into list; nil: all
		atts []string
		want []string
	}{
		{"the rule's addresses win over static tags", r, nil, []string{"dubbo.tag", "gray"}, []string{"10.0.0.2", "10.0.1.5"}},
		{"a tag the rule has no addresses for: static tag", r, nil, []string{"dubbo.tag", "blue"}, []string{"10.0.0.2"}},
		{"a rule tag without addresses: static tag", r, nil, []string{"dubbo.tag", "empty"}, []string{"10.0.0.6"}},
		{"unknown tag: untagged providers outside the rule", r, nil, []string{"dubbo.tag", "red"}, []string{"10.0.0.1", "10.0.0.4"}},
		{"unknown tag forced: none", r, nil, []string{"dubbo.tag", "red", "dubbo.force.tag", "true"}, []string{}},
		{"untagged call: outside the rule, static tag not a rule tag", r, nil, nil, []string{"10.0.0.1", "10.0.0.4", "10.0.0.7"}},
		{"rule addresses absent from the list: fall through", r, []int{0, 2, 3}, []string{"dubbo.tag", "gray"}, []string{"10.0.0.1", "10.0.0.4"}},
		{"rule addresses absent, force.tag: none", r, []int{0, 2, 3}, []string{"dubbo.tag", "gray", "dubbo.force.tag", "true"}, []string{}},
		{"rule addresses absent, rule force: none", forced, []int{0, 2, 3}, []string{"dubbo.tag", "gray"}, []string{}},
		{"rule force, addresses present", forced, nil, []string{"dubbo.tag", "gray"}, []string{"10.0.0.2", "10.0.1.5"}},
		{"untagged call, every provider in the rule: none", r, []int{1, 4}, nil, []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := list
			if tt.list != nil {
				in = nil
				for _, i := range tt.list {
					in = append(in, list[i])
				}
			}
			require.Equal(t, tt.want, route(t, tt.r, in, mustURL(t, consumer), call(tt.atts...)))
		})
	}
	t.Run("a disabled rule routes by static tags", func(t *testing.T) {
		d, err := tag.FromYAML("p", []byte("enabled: false\ntags:\n  - name: gray\n    addresses: [10.0.0.2]\n"))
		require.NoError(t, err)
		require.Equal(t, []string{"10.0.0.3"}, route(t, d, list, mustURL(t, consumer), call("dubbo.tag", "gray")))
		require.Contains(t, d.String(), "disabled")
	})
}

func TestDynamicRuleAnyHostOnPortAndCIDR(t *testing.T) {
	list := invokers(t,
		"dubbo://10.0.0.1:20880/com.foo.BarService",
		"dubbo://10.0.0.2:20881/com.foo.BarService",
		"dubbo://192.168.3.9:20882/com.foo.BarService",
		"dubbo://[2001:db8::5]:20883/com.foo.BarService",
	)
	r, err := tag.FromYAML("p", []byte(`
tags:
  - name: a
    addresses: ["0.0.0.0:20881"]
  - name: b
    addresses: ["192.168.0.0/16", "[2001:db8::5]:20883"]
  - name: c
    addresses: ["*:20880"]
`))
	require.NoError(t, err)
	c := mustURL(t, consumer)
	require.Equal(t, []string{"10.0.0.2"}, route(t, r, list, c, call("dubbo.tag", "a")))
	require.Equal(t, []string{"192.168.3.9", "[2001:db8::5]"}, route(t, r, list, c, call("dubbo.tag", "b")))
	require.Equal(t, []string{"10.0.0.1"}, route(t, r, list, c, call("dubbo.tag", "c")))
	require.Equal(t, []string{}, route(t, r, list, c, call()))
}

func TestDynamicRuleMatch(t *testing.T) {
	list := invokers(t,
		"dubbo://10.0.0.1:20880/com.foo.BarService?env=beta&zone=z1",
		"dubbo://10.0.0.2:20880/com.foo.BarService?env=beta-2&zone=z2",
		"dubbo://10.0.0.3:20880/com.foo.BarService?env=prod",
		"dubbo://10.0.0.4:20880/com.foo.BarService",
	)
	c := mustURL(t, consumer)
	tests := []struct {
		match string
		want  []string
	}{
		{"{exact: beta}", []string{"10.0.0.1"}},
		{"{prefix: beta}", []string{"10.0.0.1", "10.0.0.2"}},
		{"{regex: 'beta-\\d'}", []string{"10.0.0.2"}},
		{"{regex: 'bet'}", []string{"10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4"}}, // the whole value must match: none, fall through to all
		{"{wildcard: '*'}", []string{"10.0.0.1", "10.0.0.2", "10.0.0.3"}},
		{"{wildcard: prod}", []string{"10.0.0.3"}},
		{"{empty: true}", []string{"10.0.0.4"}},
		{"{noempty: true}", []string{"10.0.0.1", "10.0.0.2", "10.0.0.3"}},
	}
	for _, tt := range tests {
		t.Run(tt.match, func(t *testing.T) {
			r, err := tag.FromYAML("p", []byte("configVersion: v3.0\ntags:\n  - name: beta\n    match:\n      - key: env\n        value: "+tt.match+"\n"))
			require.NoError(t, err)
			require.Equal(t, tt.want, route(t, r, list, c, call("dubbo.tag", "beta")))
		})
	}
	t.Run("every entry must match", func(t *testing.T) {
		r, err := tag.FromYAML("p", []byte("configVersion: v3.0\ntags:\n  - name: beta\n    match:\n      - {key: env, value: {prefix: beta}}\n      - {key: zone, value: {exact: z2}}\n"))
		require.NoError(t, err)
		require.Equal(t, []string{"10.0.0.2"}, route(t, r, list, c, call("dubbo.tag", "beta")))
		require.Equal(t, []string{"10.0.0.1", "10.0.0.3", "10.0.0.4"}, route(t, r, list, c, call()), "untagged call: all but the rule's")
	})
}

func TestParseRuleErrors(t *testing.T) {
	tests := []struct {
		name, yaml, want string
	}{
		{"not yaml", "tags: [", "parse yaml"},
		{"empty", "", "empty yaml"},
		{"not a mapping", "- a\n- b\n", "parse yaml"},
		{"no tags", "key: p\nforce: true\n", "tag rule p: no tags"},
		{"empty tags", "tags: []\n", "no tags"},
		{"tags not a list", "tags: gray\n", "tags is not a list"},
		{"tag without name", "tags:\n  - addresses: [10.0.0.1]\n", "tag 0: no name"},
		{"duplicate name", "tags:\n  - name: a\n  - name: a\n", "tag 1: a: duplicate name"},
		{"bad address", "tags:\n  - name: a\n    addresses: [10.0.0.300]\n", `tag 0: a: address: ip expression "10.0.0.300"`},
		{"addresses not a list", "tags:\n  - name: a\n    addresses: 10.0.0.1\n", "addresses is not a list"},
		{"unsupported version", "configVersion: v3.1\ntags:\n  - name: a\n", `configVersion "v3.1" is not supported`},
		{"bad priority", "priority: high\ntags:\n  - name: a\n", `priority "high" is not an integer`},
		{"match without key", "tags:\n  - name: a\n    match:\n      - value: {exact: x}\n", "tag 0: a: match 0: no key"},
		{"match without condition", "tags:\n  - name: a\n    match:\n      - key: env\n        value: {}\n", "env: no condition"},
		{"unknown condition", "tags:\n  - name: a\n    match:\n      - key: env\n        value: {like: x}\n", `unknown condition "like"`},
		{"bad regex", "tags:\n  - name: a\n    match:\n      - key: env\n        value: {regex: '('}\n", `regex "("`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tag.ParseRule([]byte(tt.yaml))
			require.Error(t, err)
			require.Contains(t, err.Error(), tt.want)
		})
	}
	_, err := tag.FromYAML("demo-provider", []byte("tags: []"))
	require.ErrorContains(t, err, "demo-provider.tag-router: tag rule: no tags")
}

func TestParseRule(t *testing.T) {
	r, err := tag.ParseRule([]byte(grayRule))
	require.NoError(t, err)
	require.Equal(t, "v2.7", r.ConfigVersion)
	require.Equal(t, "p", r.Key)
	require.False(t, r.Force)
	require.True(t, r.Enabled)
	require.False(t, r.Runtime)
	require.Equal(t, []string{"gray", "empty"}, r.Names())
	require.Equal(t, []string{"10.0.0.2:20880", "10.0.1.*"}, r.Tags[0].Addresses)
	require.Empty(t, r.Tags[1].Addresses)
	require.Equal(t, grayRule, r.Raw())

	d, err := tag.ParseRule([]byte("tags:\n  - name: a\n"))
	require.NoError(t, err)
	require.True(t, d.Runtime, "runtime defaults to true")
	require.True(t, d.Enabled)
	require.Equal(t, "demo-provider.tag-router", tag.RuleKey("demo-provider"))
}

func TestRouterDescribesItself(t *testing.T) {
	r, err := tag.FromYAML("p", []byte(grayRule))
	require.NoError(t, err)
	require.Equal(t, "tag rule p.tag-router (force=false, tags gray,empty)", r.String())
	require.Equal(t, "tag (static tags)", tag.Static().String())
	require.Equal(t, tag.Priority, r.Priority())
	require.Nil(t, r.URL())
	require.Equal(t, "p", r.Application())

	list := invokers(t,
		"dubbo://10.0.0.1:20880/com.foo.BarService?remote.application=p",
		"dubbo://10.0.0.2:20880/com.foo.BarService?remote.application=p",
	)
	require.Equal(t, "p", tag.ProviderApplication(list))
	require.Equal(t, "", tag.ProviderApplication(nil))
	ex := router.Explain([]router.Router{r}, list, mustURL(t, consumer), call())
	step, ok := ex.RemovedBy(list[1])
	require.True(t, ok)
	require.Equal(t, r.String(), step.Rule)
	require.Contains(t, ex.String(), "removed 10.0.0.2:20880")
}

func TestReplaceStatic(t *testing.T) {
	r, err := tag.FromYAML("p", []byte(grayRule))
	require.NoError(t, err)
	static := tag.Static()
	other := router.Router(r)
	got := router.Replace([]router.Router{static}, []router.Router{other})
	require.Equal(t, []router.Router{other}, got)
	require.Equal(t, []router.Router{static}, router.Replace([]router.Router{static}, nil))
}

func TestDecideDoesNotAllocate(t *testing.T) {
	list := invokers(t,
		"dubbo://10.0.0.1:20880/com.foo.BarService",
		"dubbo://10.0.0.2:20880/com.foo.BarService?dubbo.tag=gray",
	)
	c := router.NewChain([]router.Router{tag.Static()}, list, mustURL(t, consumer), nil)
	inv := call("dubbo.tag", "gray")
	c.Route(list, inv)
	require.Zero(t, testing.AllocsPerRun(100, func() { c.Route(list, inv) }))
	_ = common.TagKey
}
