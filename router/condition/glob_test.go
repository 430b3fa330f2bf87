package condition

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/fleetrpc/fleet/common"
)

// TestGlobAgreesWithCommon: a compiled glob matches as
// common.IsMatchGlobPattern does without a param URL.
func TestGlobAgreesWithCommon(t *testing.T) {
	patterns := []string{"*", "", "value", "v*", "*e", "v*e", "**", "*v*", "va*ue*", "$host", "a*b*c", "*value", "value*"}
	values := []string{"", "value", "v", "e", "ve", "vae", "*", "**", "xvaluex", "$host", "abc", "a*b*c", "ab", "vaue"}
	for _, p := range patterns {
		g := compileGlob(p)
		for _, v := range values {
			require.Equal(t, common.IsMatchGlobPattern(p, v, nil), g.match(v), "pattern %q value %q", p, v)
		}
	}
}
