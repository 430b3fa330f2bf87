package condition

import (
	"testing"

	"github.com/fleetrpc/fleet/common"
)

// FuzzGlob: a compiled glob matches as common.IsMatchGlobPattern does
// without a param URL.
func FuzzGlob(f *testing.F) {
	f.Add("v*e", "value")
	f.Fuzz(func(t *testing.T, p, v string) {
		if common.IsMatchGlobPattern(p, v, nil) != compileGlob(p).match(v) {
			t.Fatalf("pattern %q value %q", p, v)
		}
	})
}
