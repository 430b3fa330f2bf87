package condition_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/protocol"
	"github.com/fleetrpc/fleet/router"
	"github.com/fleetrpc/fleet/router/condition"
)

const (
	svc          = "/com.foo.BarService"
	consumerURL  = "consumer://1.1.1.1" + svc + "?application=foo&methods=getFoo,setFoo,findFoo&env=gray"
	providerA    = "dubbo://10.20.3.3:20880" + svc + "?methods=getFoo,setFoo&serialization=fastjson&application=bar"
	providerB    = "dubbo://10.20.3.4:20880" + svc + "?application=bar&env=gray"
	providerC    = "dubbo://1.2.3.4:20880" + svc + "?application=baz&env=prod"
	providerD    = "dubbo://1.1.1.1:20881" + svc + "?application=bar"
	addrA, addrB = "10.20.3.3:20880", "10.20.3.4:20880"
	addrC, addrD = "1.2.3.4:20880", "1.1.1.1:20881"
)

var all = []string{addrA, addrB, addrC, addrD}

// TestJavaBehaviour checks the condition router against Java Dubbo 2.7's
// ConditionRouter, rule by rule (rules.md §1.3, §1.4).
func TestJavaBehaviour(t *testing.T) {
	getFoo := protocol.NewInvocation("getFoo")
	tests := []struct {
		name     string
		rule     string
		extra    string // rule URL params
		consumer string // default consumerURL
		inv      protocol.Invocation
		want     []string
	}{
		// host
		{name: "host when and then", rule: "host = 1.1.1.1 => host = 10.20.3.*", want: []string{addrA, addrB}},
		{name: "host when does not match", rule: "host = 2.2.2.2 => host = 10.20.3.*", want: all},
		{name: "host list with mismatch hit", rule: "host = 2.2.2.2,1.1.1.* & host != 1.1.1.1 => host = 1.2.3.4", want: all},
		{name: "host list with mismatch miss", rule: "host = 2.2.2.2,1.1.1.* & host != 1.1.1.2 => host = 1.2.3.4", want: []string{addrC}},
		{name: "mismatch first then list", rule: "host != 4.4.4.* & host = 2.2.2.2,1.1.1.1,3.3.3.3 => host = 1.2.3.4", want: []string{addrC}},
		{name: "repeated key by & adds to the same entry", rule: "host = 2.2.2.2 & host = 1.1.1.1 => host = 1.2.3.4", want: []string{addrC}},
		{name: "key without separator replaces the entry", rule: "host = 1.1.1.1 host = 2.2.2.2 => host = 1.2.3.4", want: all},
		{name: "address of a consumer without port", rule: "address = 1.1.1.1 => address = 1.2.3.4:20880", want: []string{addrC}},
		{name: "port of providers", rule: "=> port = 20881", want: []string{addrD}},
		{name: "protocol of providers", rule: "=> protocol = dubbo", want: all},
		{name: "consumer. and provider. prefixes", rule: "consumer.host = 1.1.1.1 => provider.host = 1.2.3.4", want: []string{addrC}},
		// empty when
		{name: "empty when", rule: " => host = 1.2.3.4", want: []string{addrC}},
		{name: "no arrow: all of it is then", rule: "host = 1.2.3.4", want: []string{addrC}},
		{name: "when true", rule: "true => host = 1.2.3.4", want: []string{addrC}},
		{name: "when of separators only", rule: "& => host = 1.2.3.4", want: []string{addrC}},
		// method
		{name: "method matches", rule: "method = getFoo => host = 1.2.3.4", inv: getFoo, want: []string{addrC}},
		{name: "method does not match", rule: "method = getFoo => host = 1.2.3.4", inv: protocol.NewInvocation("setFoo"), want: all},
		{name: "methods reads the call, not the consumer's methods param", rule: "methods = getFoo => host = 1.2.3.4", inv: getFoo, want: []string{addrC}},
		{name: "methods with another call", rule: "methods = getFoo => host = 1.2.3.4", inv: protocol.NewInvocation("findFoo"), want: all},
		{name: "method and host", rule: "method = getFoo & host != 1.1.1.1 => host = 1.2.3.4", inv: getFoo, want: all},
		{name: "method glob", rule: "method = get* => host = 1.2.3.4", inv: getFoo, want: []string{addrC}},
		{name: "method mismatch", rule: "method != get* => host = 1.2.3.4", inv: protocol.NewInvocation("setFoo"), want: []string{addrC}},
		{name: "generic call routes by its real method", rule: "method = getFoo => host = 1.2.3.4",
			inv: protocol.NewGenericInvocation("getFoo", []string{"java.lang.String"}, []any{"x"}), want: []string{addrC}},
		{name: "without a call, method reads the consumer param", rule: "method = getFoo => host = 1.2.3.4", want: all},
		{name: "methods on the then side reads the provider param", rule: "=> methods = getFoo*", inv: getFoo, want: []string{addrA}},
		{name: "method on the then side: providers lack the param", rule: "=> method = getFoo", inv: getFoo, want: all},
		// parameters
		{name: "parameter", rule: "application = foo => env = gray", want: []string{addrB}},
		{name: "parameter mismatch on then", rule: "application = foo => application != bar", want: []string{addrC}},
		{name: "absent parameter with match values fails", rule: "region = hz => host = 1.2.3.4", want: all},
		{name: "absent parameter with only mismatch values passes", rule: "region != hz => host = 1.2.3.4", want: []string{addrC}},
		{name: "bare key never matches a present value", rule: "host => host = 1.2.3.4", want: all},
		{name: "bare key on then keeps providers without it", rule: "=> env", want: []string{addrA, addrD}},
		{name: "comma adds to the set last added to", rule: "host = 2.2.2.2 & env , 1.1.1.1 => host = 1.2.3.4", want: all},
		// wildcards
		{name: "prefix and suffix wildcards", rule: "host = 1.1.* => host = *.3.4", want: []string{addrB, addrC}},
		{name: "middle wildcard", rule: "=> host = 10.*.3", want: []string{addrA}},
		{name: "only the last star is special", rule: "=> host = 10*20*", want: all},
		{name: "star matches all", rule: "=> application = *", want: all},
		// $ references
		{name: "$param on then", rule: "=> env = $env", want: []string{addrB}},
		{name: "$host on then", rule: "host = 1.1.1.1 => host = $host", want: []string{addrD}},
		{name: "$ absent on the consumer matches empty only", rule: "=> env = $region", want: all},
		{name: "$ is literal on when", rule: "env = $env => host = 1.2.3.4", want: all},
		// !=
		{name: "mismatch glob", rule: "=> host != 10.20.3.*", want: []string{addrC, addrD}},
		{name: "mismatch list", rule: "=> host != 10.20.3.3,1.2.3.4", want: []string{addrB, addrD}},
		{name: "mismatch wins over match", rule: "=> host = 10.20.3.* & host != 10.20.3.4", want: []string{addrA}},
		// force
		{name: "no provider matches, not forced: unchanged", rule: "host = 1.1.1.1 => host = 9.9.9.9", want: all},
		{name: "no provider matches, forced: none", rule: "host = 1.1.1.1 => host = 9.9.9.9", extra: "force=true", want: []string{}},
		{name: "force=TRUE", rule: "host = 1.1.1.1 => host = 9.9.9.9", extra: "force=TRUE", want: []string{}},
		{name: "force=yes is false", rule: "host = 1.1.1.1 => host = 9.9.9.9", extra: "force=yes", want: all},
		// empty then
		{name: "empty then blacklists", rule: "host = 1.1.1.1 => ", want: []string{}},
		{name: "then false blacklists", rule: "host = 1.1.1.1 => false", want: []string{}},
		{name: "blacklist of another consumer", rule: "host = 2.2.2.2 =>", want: all},
		{name: "then of separators only matches nothing", rule: "host = 1.1.1.1 => ,", want: all},
		{name: "then of separators only, forced", rule: "host = 1.1.1.1 => ,", extra: "force=true", want: []string{}},
		// arguments
		{name: "argument matches", rule: "arguments[0] = a => host = 1.2.3.4", inv: protocol.NewInvocation("getFoo", "a"), want: []string{addrC}},
		{name: "argument does not match", rule: "arguments[0] = a => host = 1.2.3.4", inv: protocol.NewInvocation("getFoo", "b"), want: all},
		{name: "argument out of range", rule: "arguments[1] = a => host = 1.2.3.4", inv: protocol.NewInvocation("getFoo", "a"), want: all},
		{name: "integer argument", rule: "arguments[1] = 200 => host = 1.2.3.4", inv: protocol.NewInvocation("getFoo", "a", 200), want: []string{addrC}},
		{name: "int64 argument glob", rule: "arguments[0] = 12* => host = 1.2.3.4", inv: protocol.NewInvocation("getFoo", int64(12345)), want: []string{addrC}},
		{name: "float argument as Java", rule: "arguments[0] = 1.0 => host = 1.2.3.4", inv: protocol.NewInvocation("getFoo", 1.0), want: []string{addrC}},
		{name: "bool argument", rule: "arguments[0] = true => host = 1.2.3.4", inv: protocol.NewInvocation("getFoo", true), want: []string{addrC}},
		{name: "nil argument is null", rule: "arguments[0] = null => host = 1.2.3.4", inv: protocol.NewInvocation("getFoo", nil), want: []string{addrC}},
		{name: "argument mismatch", rule: "arguments[0] != a => host = 1.2.3.4", inv: protocol.NewInvocation("getFoo", "b"), want: []string{addrC}},
		{name: "argument suffix after a dot is ignored", rule: "arguments[0].name = a => host = 1.2.3.4", inv: protocol.NewInvocation("getFoo", "a"), want: []string{addrC}},
		{name: "arguments without index never match", rule: "arguments = a => host = 1.2.3.4", inv: protocol.NewInvocation("getFoo", "a"), want: all},
		{name: "argument $ is literal", rule: "arguments[0] = $env => host = 1.2.3.4", inv: protocol.NewInvocation("getFoo", "gray"), want: all},
		{name: "arguments of a generic call", rule: "arguments[0] = x => host = 1.2.3.4",
			inv: protocol.NewGenericInvocation("getFoo", []string{"java.lang.String"}, []any{"x"}), want: []string{addrC}},
		{name: "arguments on then never match", rule: "=> arguments[0] = a", inv: protocol.NewInvocation("getFoo", "a"), want: all},
		{name: "method and argument", rule: "method = getFoo & arguments[0] = a => host = 10.20.3.*", inv: protocol.NewInvocation("getFoo", "a"), want: []string{addrA, addrB}},
		// settings
		{name: "disabled", rule: "=> host = 1.2.3.4", extra: "enabled=false", want: all},
		{name: "runtime has no effect", rule: "=> host = 1.2.3.4", extra: "runtime=true", want: []string{addrC}},
	}
	providers := []string{providerA, providerB, providerC, providerD}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			consumer := consumerURL
			if tt.consumer != "" {
				consumer = tt.consumer
			}
			r := newRouter(t, tt.rule, tt.extra)
			got := route(t, r, invokers(t, providers...), mustURL(t, consumer), tt.inv)
			require.Equal(t, tt.want, got)
		})
	}
}

func TestEmptyInputStaysEmpty(t *testing.T) {
	r := newRouter(t, "=> host = 1.2.3.4", "force=true")
	got, err := r.Route(nil, mustURL(t, consumerURL), nil)
	require.NoError(t, err)
	require.Empty(t, got)
}

func TestRouteKeepsInputWhenUnchanged(t *testing.T) {
	list := invokers(t, providerA, providerB)
	r := newRouter(t, "host = 9.9.9.9 => host = 1.2.3.4", "")
	got, err := r.Route(list, mustURL(t, consumerURL), nil)
	require.NoError(t, err)
	require.Same(t, &list[0], &got[0])
}

func TestNewReadsURL(t *testing.T) {
	r := newRouter(t, "host = 1.1.1.1 => host = 1.2.3.4", "priority=-3&force=true&runtime=true&enabled=false&dynamic=false")
	require.Equal(t, -3, r.Priority())
	require.Equal(t, condition.Settings{Priority: -3, Force: true, Disabled: true, Runtime: true}, r.Settings())
	require.Equal(t, "host = 1.1.1.1 => host = 1.2.3.4", r.Rule().String())
	require.NotNil(t, r.URL())

	def := newRouter(t, "=> host = 1.2.3.4", "")
	require.Equal(t, condition.Settings{}, def.Settings())
}

func TestNewErrors(t *testing.T) {
	tests := []struct {
		name, url, want string
	}{
		{"no rule", "route://0.0.0.0/com.foo.BarService?category=routers&router=condition", "Illegal route rule!"},
		{"blank rule", "condition://0.0.0.0/com.foo.BarService?rule=+++", "Illegal route rule!"},
		{"bad escape", "condition://0.0.0.0/com.foo.BarService?rule=host%3D%zz", "decode rule"},
		{"bad rule", "condition://0.0.0.0/com.foo.BarService?rule=" + common.Encode("host == 1"),
			`Illegal route rule "host == 1", The error char '==' at index 5 before "1".`},
		{"bad priority", "condition://0.0.0.0/com.foo.BarService?priority=high&rule=" + common.Encode("=> host = 1"), "priority"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := condition.New(mustURL(t, tt.url))
			require.Error(t, err)
			require.Contains(t, err.Error(), tt.want)
			require.Contains(t, err.Error(), "0.0.0.0/com.foo.BarService", "the error names the rule URL")
		})
	}
}

func TestFactoryByRouterParamOrProtocol(t *testing.T) {
	require.Contains(t, router.Names(), condition.Name)
	for _, s := range []string{
		"route://0.0.0.0/com.foo.BarService?category=routers&router=condition&rule=" + common.Encode("=> host = 1.2.3.4"),
		"condition://0.0.0.0/com.foo.BarService?category=routers&rule=" + common.Encode("=> host = 1.2.3.4"),
	} {
		u := mustURL(t, s)
		require.Equal(t, condition.Name, router.TypeOf(u))
		r, err := router.New(u)
		require.NoError(t, err)
		require.IsType(t, &condition.Router{}, r)
	}
	_, err := router.New(mustURL(t, "route://0.0.0.0/com.foo.BarService?rule=x"))
	require.ErrorContains(t, err, `unknown router "route"`)
	_, err = router.New(mustURL(t, "condition://0.0.0.0/com.foo.BarService?rule="+common.Encode("a == b")))
	require.ErrorContains(t, err, "Illegal route rule")
	f, err := router.Get(condition.Name)
	require.NoError(t, err)
	r, err := f(mustURL(t, "condition://0.0.0.0/x"))
	require.Error(t, err)
	require.Nil(t, r, "a failed factory returns a nil interface")
}
