package condition_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/fleetrpc/fleet/protocol"
	"github.com/fleetrpc/fleet/router"
	"github.com/fleetrpc/fleet/router/condition"
)

// The rule of Java's ConditionRuleV3.1 fixture, restated.
const v31 = `configVersion: v3.1
scope: service
force: false
key: com.foo.BarService
conditions:
  - from:
      match: region=beijing
    to:
      - match: env=gray
        weight: 900
      - match: env=prod
`

func TestMultiDestParse(t *testing.T) {
	r, err := condition.ParseYAML([]byte(v31))
	require.NoError(t, err)
	require.Empty(t, r.Conditions)
	require.Len(t, r.MultiDest, 1)
	md := r.MultiDest[0]
	require.NotNil(t, md.From)
	require.Len(t, md.To, 2)
	require.Equal(t, 900, md.To[0].Weight)
	require.Equal(t, condition.DefaultDestinationWeight, md.To[1].Weight)
	require.Contains(t, md.String(), `from "region=beijing"`)
}

func TestMultiDestRoute(t *testing.T) {
	list := invokers(t,
		"dubbo://10.0.0.1:20880/com.foo.BarService?env=gray",
		"dubbo://10.0.0.2:20880/com.foo.BarService?env=prod",
		"dubbo://10.0.0.3:20880/com.foo.BarService?env=prod",
	)
	beijing := mustURL(t, "consumer://1.1.1.1/com.foo.BarService?region=beijing")
	shanghai := mustURL(t, "consumer://1.1.1.1/com.foo.BarService?region=shanghai")
	inv := protocol.NewInvocation("getFoo")
	rs := func(y string) router.Router {
		t.Helper()
		r, err := condition.FromYAML([]byte(y))
		require.NoError(t, err)
		return r
	}

	t.Run("weights pick the subsets in proportion", func(t *testing.T) {
		r := rs(v31)
		gray := 0
		const n = 2000
		for i := 0; i < n; i++ {
			out, err := r.Route(list, beijing, inv)
			require.NoError(t, err)
			switch hosts(out)[0] {
			case "10.0.0.1:20880":
				require.Len(t, out, 1)
				gray++
			default:
				require.Equal(t, []string{"10.0.0.2:20880", "10.0.0.3:20880"}, hosts(out))
			}
		}
		require.InDelta(t, 0.9*n, gray, 0.05*n, "weight 900 against 100")
	})
	t.Run("from does not match: unchanged", func(t *testing.T) {
		out, err := rs(v31).Route(list, shanghai, inv)
		require.NoError(t, err)
		require.Len(t, out, 3)
	})
	t.Run("no to: blocked", func(t *testing.T) {
		out, err := rs("configVersion: v3.1\nconditions:\n  - from: {match: region=beijing}\n").Route(list, beijing, inv)
		require.NoError(t, err)
		require.Empty(t, out)
	})
	t.Run("blank or false to match: every provider", func(t *testing.T) {
		out, err := rs("configVersion: v3.1\nconditions:\n  - from: {match: ''}\n    to: [{match: 'false'}]\n").Route(list, shanghai, inv)
		require.NoError(t, err)
		require.Len(t, out, 3)
	})
	t.Run("no subset: unchanged, or none with force", func(t *testing.T) {
		y := "configVersion: v3.1\nconditions:\n  - from: {match: ''}\n    to: [{match: env=canary}]\n"
		out, err := rs(y).Route(list, beijing, inv)
		require.NoError(t, err)
		require.Len(t, out, 3)
		out, err = rs("force: true\n"+y).Route(list, beijing, inv)
		require.NoError(t, err)
		require.Empty(t, out)
	})
	t.Run("consumer params in to ($)", func(t *testing.T) {
		consumer := mustURL(t, "consumer://1.1.1.1/com.foo.BarService?env=prod")
		out, err := rs("configVersion: v3.1\nconditions:\n  - from: {match: ''}\n    to: [{match: env=$env}]\n").Route(list, consumer, inv)
		require.NoError(t, err)
		require.Equal(t, []string{"10.0.0.2:20880", "10.0.0.3:20880"}, hosts(out))
	})
	t.Run("disabled", func(t *testing.T) {
		out, err := rs("enabled: false\n"+v31).Route(list, beijing, inv)
		require.NoError(t, err)
		require.Len(t, out, 3)
	})
	t.Run("through a chain", func(t *testing.T) {
		chain := router.NewChain([]router.Router{rs(v31)}, list, shanghai, nil)
		require.Len(t, chain.Route(list, inv), 3)
		e := chain.Explain(list, inv)
		require.Len(t, e.Reached, 3)
	})
}
