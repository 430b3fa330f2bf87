package configurator

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/fleetrpc/fleet/common"
)

const local = "10.0.0.9"

func TestConfigure(t *testing.T) {
	const provider = "dubbo://10.20.30.140:9091/org.a.Svc?application=app&side=consumer&timeout=1000"
	tests := []struct {
		name   string
		rule   string
		target string // default provider
		want   string // "" = unchanged
	}{
		{"any host, legacy, consumer side compares local ip", "override://0.0.0.0/org.a.Svc?timeout=3", "", "timeout=3"},
		{"local host matches", "override://10.0.0.9/org.a.Svc?timeout=3", "", "timeout=3"},
		{"other consumer host", "override://10.0.0.8/org.a.Svc?timeout=3", "", ""},
		{"port selects provider host", "override://10.20.30.140:9091/org.a.Svc?timeout=4", "", "timeout=4"},
		{"port of another provider", "override://10.20.30.140:9092/org.a.Svc?timeout=4", "", ""},
		{"host mismatch with port", "override://10.20.30.141:9091/org.a.Svc?timeout=4", "", ""},
		{"disabled rule", "override://0.0.0.0/org.a.Svc?timeout=3&enabled=false", "", ""},
		{"enabled stripped", "override://0.0.0.0/org.a.Svc?timeout=3&enabled=true", "", "timeout=3"},
		{"disabled=true applies", "override://0.0.0.0/org.a.Svc?disabled=true", "", "disabled=true"},
		{"application matches", "override://0.0.0.0/org.a.Svc?application=app&timeout=3", "", "timeout=3"},
		{"application mismatch", "override://0.0.0.0/org.a.Svc?application=other&timeout=3", "", ""},
		{"application any", "override://0.0.0.0/org.a.Svc?application=*&timeout=3", "", "timeout=3"},
		{"application as username", "override://other@0.0.0.0/org.a.Svc?timeout=3", "", ""},
		{"tilde condition holds", "override://0.0.0.0/org.a.Svc?~timeout=1000&retries=5", "", "retries=5"},
		{"tilde condition fails", "override://0.0.0.0/org.a.Svc?~timeout=999&retries=5", "", ""},
		{"side condition", "override://0.0.0.0/org.a.Svc?side=provider&retries=5", "", ""},
		{"providerAddresses holds", "override://0.0.0.0/org.a.Svc?providerAddresses=10.20.30.140:9091,1.1.1.1:1&retries=5", "", "providerAddresses=10.20.30.140:9091,1.1.1.1:1&retries=5"},
		{"providerAddresses other", "override://0.0.0.0/org.a.Svc?providerAddresses=1.1.1.1:1&retries=5", "", ""},
		{"condition keys stripped", "override://0.0.0.0/org.a.Svc?category=configurators&dynamic=false&group=g&version=1&check=true&retries=5", "", "retries=5"},
		{"no side on target", "override://0.0.0.0/org.a.Svc?timeout=3", "dubbo://10.20.30.140:9091/org.a.Svc?timeout=1", ""},
		{"provider side compares 0.0.0.0", "override://0.0.0.0/org.a.Svc?timeout=3", "dubbo://10.20.30.140:9091/org.a.Svc?side=provider&timeout=1", "side=provider&timeout=3"},
		{"provider side, host rule", "override://10.20.30.140/org.a.Svc?timeout=3", "dubbo://10.20.30.140:9091/org.a.Svc?side=provider&timeout=1", ""},
		{"versioned consumer", "override://0.0.0.0/org.a.Svc?configVersion=v2.7&side=consumer&timeout=6000&retries=0", "", "retries=0&timeout=6000"},
		{"versioned without side", "override://0.0.0.0/org.a.Svc?configVersion=v2.7&timeout=6000", "", ""},
		{"versioned consumer with port", "override://0.0.0.0:9091/org.a.Svc?configVersion=v2.7&side=consumer&timeout=6000", "", ""},
		{"versioned provider side", "override://10.20.30.140:9091/org.a.Svc?configVersion=v2.7&side=provider&timeout=6000", "dubbo://10.20.30.140:9091/org.a.Svc?side=provider", "side=provider&timeout=6000"},
		{"versioned side differs", "override://0.0.0.0/org.a.Svc?configVersion=v2.7&side=provider&timeout=6000", "", ""},
		{"v3 provider side, no port check", "override://0.0.0.0/org.a.Svc?configVersion=v3.0&side=provider&timeout=6000", "dubbo://10.20.30.140:9091/org.a.Svc?side=provider", "side=provider&timeout=6000"},
		{"v3 other service", "override://0.0.0.0/org.b.Svc?configVersion=v3.0&side=provider&timeout=6000", "dubbo://10.20.30.140:9091/org.a.Svc?side=provider", ""},
		{"v3 any service", "override://0.0.0.0/*?configVersion=v3.0&side=consumer&timeout=6000", "", "timeout=6000"},
		{"v3 providerAddresses host entry", "override://0.0.0.0/*?configVersion=v3.0&side=consumer&providerAddresses=10.20.30.140&timeout=6000", "", "providerAddresses=10.20.30.140&timeout=6000"},
		{"v3 providerAddresses any port entry", "override://0.0.0.0/*?configVersion=v3.0&side=consumer&providerAddresses=0.0.0.0:9091&timeout=6000", "", "providerAddresses=0.0.0.0:9091&timeout=6000"},
		{"v3 providerAddresses other", "override://0.0.0.0/*?configVersion=v3.0&side=consumer&providerAddresses=10.20.30.14:9091&timeout=6000", "", ""},
		{"absent adds missing only", "absent://0.0.0.0/org.a.Svc?timeout=3&retries=7", "", "retries=7"},
		{"only anyhost changes nothing", "override://0.0.0.0/org.a.Svc?anyhost=true", "", "anyhost=true"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			target := provider
			if tt.target != "" {
				target = tt.target
			}
			u := common.MustParse(target)
			c := FromURLs([]*common.URL{common.MustParse(tt.rule), common.MustParse("override://0.0.0.0/x?anyhost=true")}, local, nil)
			if tt.name == "only anyhost changes nothing" {
				require.Empty(t, c)
				return
			}
			require.Len(t, c, 1)
			got := c[0].Configure(u)
			if tt.want == "" {
				require.Same(t, u, got, "unchanged: %s", got)
				return
			}
			want := u.WithParams(common.ParseQueryString(tt.want))
			require.Equal(t, want.String(), got.String())
			require.Equal(t, target, u.String(), "the target is never modified")
		})
	}
}

func TestFromURLsOrderAndEmpty(t *testing.T) {
	urls := func(ss ...string) []*common.URL {
		out := make([]*common.URL, len(ss))
		for i, s := range ss {
			out[i] = common.MustParse(s)
		}
		return out
	}
	p := func(port int) *common.URL {
		return common.NewURL("dubbo", "10.20.30.140", port, "org.a.Svc", map[string]string{"side": "consumer"})
	}
	tests := []struct {
		name  string
		urls  []*common.URL
		check func(t *testing.T, cs []Configurator)
	}{
		{"rules.md example", urls("override://0.0.0.0?timeout=3", "override://0.0.0.0", "override://10.20.30.140:9091?timeout=4"),
			func(t *testing.T, cs []Configurator) {
				require.Len(t, cs, 2)
				require.Equal(t, "4", Apply(cs, p(9091)).ParamOr("timeout", ""))
				require.Equal(t, "3", Apply(cs, p(9090)).ParamOr("timeout", ""))
			}},
		{"host-specific sorted after any host", urls("override://10.20.30.140:9091?timeout=4", "override://0.0.0.0?timeout=3"),
			func(t *testing.T, cs []Configurator) {
				require.Equal(t, "0.0.0.0", cs[0].URL().Host())
				require.Equal(t, "4", Apply(cs, p(9091)).ParamOr("timeout", ""))
			}},
		{"priority", urls("override://0.0.0.0?timeout=2&priority=2", "override://0.0.0.0?timeout=1&priority=1"),
			func(t *testing.T, cs []Configurator) {
				require.Equal(t, "2", Apply(cs, p(1)).ParamOr("timeout", ""), "higher priority runs last and wins")
			}},
		{"stable for equal keys", urls("override://0.0.0.0?timeout=1", "override://0.0.0.0?timeout=2"),
			func(t *testing.T, cs []Configurator) {
				require.Equal(t, "2", Apply(cs, p(1)).ParamOr("timeout", ""))
			}},
		{"empty clears and ends", urls("override://0.0.0.0?timeout=1", "empty://0.0.0.0/org.a.Svc?category=configurators", "override://0.0.0.0?timeout=2"),
			func(t *testing.T, cs []Configurator) { require.Empty(t, cs) }},
		{"unknown protocol skipped", urls("route://0.0.0.0?timeout=1", "absent://0.0.0.0?timeout=2"),
			func(t *testing.T, cs []Configurator) {
				require.Len(t, cs, 1)
				require.IsType(t, &Absent{}, cs[0])
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.check(t, FromURLs(tt.urls, local, nil)) })
	}
}
