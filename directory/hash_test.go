package directory

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/fleetrpc/fleet/common"
)

func TestURLHasherFollowsEqual(t *testing.T) {
	x := newURLHasher()
	base := "dubbo://u:p@10.0.0.1:20880/org.a.Svc?a=1&b=2&timestamp=1"
	tests := []struct {
		other string
		equal bool
		keys  bool // same key set
	}{
		{"dubbo://u:p@10.0.0.1:20880/org.a.Svc?a=1&b=2&timestamp=1", true, true},
		{"dubbo://u:p@10.0.0.1:20880/org.a.Svc?b=2&a=1&timestamp=99", true, true},
		{"dubbo://u:p@10.0.0.1:20880/org.a.Svc?a=1&b=2", false, false},
		{"dubbo://u:p@10.0.0.1:20880/org.a.Svc?a=1&b=3&timestamp=1", false, true},
		{"dubbo://u:p@10.0.0.1:20881/org.a.Svc?a=1&b=2&timestamp=1", false, true},
		{"dubbo://u:q@10.0.0.1:20880/org.a.Svc?a=1&b=2&timestamp=1", false, true},
		{"rest://u:p@10.0.0.1:20880/org.a.Svc?a=1&b=2&timestamp=1", false, true},
		{"dubbo://u:p@10.0.0.1:20880/org.b.Svc?a=1&b=2&timestamp=1", false, true},
		{"dubbo://u:p@10.0.0.1:20880/org.a.Svc?a=1&c=2&timestamp=1", false, false},
	}
	bu := common.MustParse(base)
	bh, bk := x.hash(bu)
	for _, tt := range tests {
		t.Run(tt.other, func(t *testing.T) {
			o := common.MustParse(tt.other)
			require.Equal(t, tt.equal, bu.Equal(o))
			h, k := x.hash(o)
			require.Equal(t, tt.equal, h == bh)
			require.Equal(t, tt.keys, k == bk)
		})
	}
}
