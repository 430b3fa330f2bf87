package migration

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/fleetrpc/fleet/common"
)

func ptr[T any](v T) *T { return &v }

func TestParseStep(t *testing.T) {
	for _, s := range []Step{ForceInterface, ApplicationFirst, ForceApplication} {
		got, err := ParseStep(string(s))
		require.NoError(t, err)
		require.Equal(t, s, got)
	}
	for _, bad := range []string{"", "application_first", "INTERFACE_FIRST", "FORCE"} {
		_, err := ParseStep(bad)
		require.ErrorContains(t, err, "unknown step", bad)
	}
	require.True(t, ForceInterface.UsesInterface())
	require.False(t, ForceInterface.UsesApplication())
	require.True(t, ApplicationFirst.UsesInterface())
	require.True(t, ApplicationFirst.UsesApplication())
	require.False(t, ForceApplication.UsesInterface())
	require.True(t, ForceApplication.UsesApplication())
	require.Equal(t, "demo.migration", RuleKey("demo"))
}

func TestParse(t *testing.T) {
	tests := []struct {
		name    string
		yaml    string
		want    *Rule
		wantErr string
	}{
		{name: "step only", yaml: "step: FORCE_INTERFACE", want: &Rule{Step: ForceInterface}},
		{
			name: "every field, Java's example",
			yaml: `key: demo-consumer
step: APPLICATION_FIRST
threshold: 1.0
proportion: 60
delay: 60
force: false
interfaces:
  - serviceKey: DemoService:1.0.0
    threshold: 0.5
    proportion: 30
    delay: 30
    force: true
    step: APPLICATION_FIRST
  - serviceKey: GreetingService:1.0.0
    step: FORCE_APPLICATION
applications:
  - serviceKey: TestApplication
    threshold: 0.3
    proportion: 20
    delay: 10
    force: false
    step: FORCE_INTERFACE
`,
			want: &Rule{
				Key: "demo-consumer", Step: ApplicationFirst, Threshold: ptr(1.0), Proportion: ptr(60), Delay: ptr(60), Force: ptr(false),
				Interfaces: []SubRule{
					{ServiceKey: "DemoService:1.0.0", Step: ApplicationFirst, Threshold: ptr(0.5), Proportion: ptr(30), Delay: ptr(30), Force: ptr(true)},
					{ServiceKey: "GreetingService:1.0.0", Step: ForceApplication},
				},
				Applications: []SubRule{
					{ServiceKey: "TestApplication", Step: ForceInterface, Threshold: ptr(0.3), Proportion: ptr(20), Delay: ptr(10), Force: ptr(false)},
				},
			},
		},
		{name: "numbers as strings, unknown fields ignored", yaml: "threshold: '0.25'\nproportion: '50'\ntargetIps: [1.2.3.4]",
			want: &Rule{Threshold: ptr(0.25), Proportion: ptr(50)}},
		{name: "empty", yaml: "  \n", wantErr: "empty rule"},
		{name: "null document", yaml: "~", wantErr: "empty rule"},
		{name: "not a map", yaml: "- a\n- b", wantErr: "not a YAML map"},
		{name: "bad yaml", yaml: "step: [", wantErr: "not a YAML map"},
		{name: "unknown step", yaml: "step: INTERFACE_FIRST", wantErr: `step "INTERFACE_FIRST" is not a step`},
		{name: "lower-case step", yaml: "step: force_interface", wantErr: "is not a step"},
		{name: "threshold not a number", yaml: "threshold: half", wantErr: `threshold "half" is not a number`},
		{name: "proportion not an integer", yaml: "proportion: 0.5", wantErr: `proportion "0.5" is not an integer`},
		{name: "delay not an integer", yaml: "delay: soon", wantErr: `delay "soon" is not an integer`},
		{name: "force not a bool", yaml: "force: maybe", wantErr: `force "maybe" is not true or false`},
		{name: "interfaces not a list", yaml: "interfaces: x", wantErr: "interfaces is not a list"},
		{name: "sub-rule not a map", yaml: "interfaces: [x]", wantErr: "interfaces[0] is not a map"},
		{name: "sub-rule without key", yaml: "applications:\n  - step: FORCE_INTERFACE", wantErr: "applications[0].serviceKey is required"},
		{name: "sub-rule bad step", yaml: "interfaces:\n  - serviceKey: a\n  - serviceKey: b\n    step: NOPE", wantErr: "interfaces[1].step"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse([]byte(tt.yaml))
			if tt.wantErr != "" {
				require.ErrorContains(t, err, tt.wantErr)
				require.Nil(t, got)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
}

func TestResolve(t *testing.T) {
	consumer := func(params string) *common.URL {
		u := common.MustParse("consumer://10.0.0.1/org.demo.Greeter?interface=org.demo.Greeter&version=1.0.0" + params)
		return u
	}
	rule := func(y string) *Rule {
		r, err := Parse([]byte(y))
		require.NoError(t, err)
		return r
	}
	def := Decision{Step: ApplicationFirst, Threshold: 0, Proportion: 100}
	tests := []struct {
		name    string
		rule    *Rule
		params  string
		apps    []string
		want    Decision
		wantErr string
	}{
		{name: "nothing set: Java's defaults", want: def},
		{name: "param step", params: "&migration.step=FORCE_INTERFACE",
			want: Decision{Step: ForceInterface, Proportion: 100}},
		{name: "params", params: "&migration.step=FORCE_APPLICATION&migration.threshold=0.5&migration.promotion=40&migration.delay=2&migration.force=true",
			want: Decision{Step: ForceApplication, Threshold: 0.5, Proportion: 40, Delay: 2 * time.Second, Force: true}},
		{name: "rule beats param", rule: rule("step: FORCE_APPLICATION\nthreshold: 2"), params: "&migration.step=FORCE_INTERFACE&migration.threshold=0.5",
			want: Decision{Step: ForceApplication, Threshold: 2, Proportion: 100}},
		{name: "rule without step: param", rule: rule("threshold: 0.8"), params: "&migration.step=FORCE_INTERFACE",
			want: Decision{Step: ForceInterface, Threshold: 0.8, Proportion: 100}},
		{name: "interface entry beats rule", rule: rule("step: FORCE_INTERFACE\nproportion: 10\ninterfaces:\n  - serviceKey: org.demo.Greeter:1.0.0\n    step: FORCE_APPLICATION\n    threshold: 0.3"),
			want: Decision{Step: ForceApplication, Threshold: 0.3, Proportion: 10}},
		{name: "interface entry of another version ignored", rule: rule("interfaces:\n  - serviceKey: org.demo.Greeter\n    step: FORCE_APPLICATION"),
			want: def},
		{name: "application entry", rule: rule("step: FORCE_INTERFACE\napplications:\n  - serviceKey: greeter-app\n    step: FORCE_APPLICATION\n    force: true"),
			apps: []string{"other", "greeter-app"}, want: Decision{Step: ForceApplication, Proportion: 100, Force: true}},
		{name: "application entry of an unknown app ignored", rule: rule("step: FORCE_INTERFACE\napplications:\n  - serviceKey: greeter-app\n    step: FORCE_APPLICATION"),
			apps: []string{"other"}, want: Decision{Step: ForceInterface, Proportion: 100}},
		{name: "interface entry beats application entry, which fills what it leaves",
			rule: rule("interfaces:\n  - serviceKey: org.demo.Greeter:1.0.0\n    step: FORCE_INTERFACE\napplications:\n  - serviceKey: a\n    step: FORCE_APPLICATION\n    delay: 3"),
			apps: []string{"a"}, want: Decision{Step: ForceInterface, Proportion: 100, Delay: 3 * time.Second}},
		{name: "negative threshold is unset", rule: rule("threshold: -1"), want: def},
		{name: "bad step param", params: "&migration.step=SOMETIMES", wantErr: `param migration.step "SOMETIMES" is not a step`},
		{name: "bad threshold param", params: "&migration.threshold=x", wantErr: "param migration.threshold"},
		{name: "bad promotion param", params: "&migration.promotion=x", wantErr: "param migration.promotion"},
		{name: "bad force param", params: "&migration.force=x", wantErr: "param migration.force"},
		{name: "rule hides a bad param", rule: rule("step: FORCE_INTERFACE"), params: "&migration.step=SOMETIMES",
			want: Decision{Step: ForceInterface, Proportion: 100}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Resolve(tt.rule, consumer(tt.params), tt.apps)
			if tt.wantErr != "" {
				require.ErrorContains(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
		})
	}
}

func TestDisplayServiceKey(t *testing.T) {
	require.Equal(t, "a.B", DisplayServiceKey(common.MustParse("consumer://h/a.B?interface=a.B&group=g")))
	require.Equal(t, "a.B:2", DisplayServiceKey(common.MustParse("consumer://h/a.B?interface=a.B&group=g&version=2")))
}

func TestShouldMigrate(t *testing.T) {
	tests := []struct {
		target, current int
		threshold       float64
		want            bool
	}{
		{0, 0, 0, false},
		{0, 5, 0, false}, // no application-level provider: stay
		{3, 0, 5, true},  // no interface-level provider: go, whatever the threshold
		{1, 10, 0, true}, // default threshold: any provider
		{1, 10, 0.2, false},
		{2, 10, 0.2, true}, // ratio reaches the threshold
		{5, 10, 1, false},
		{10, 10, 1, true},
		{1, 10, -1, true}, // negative: the default
	}
	for _, tt := range tests {
		require.Equal(t, tt.want, ShouldMigrate(tt.target, tt.current, tt.threshold), "%+v", tt)
	}
}
