package protocol

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/fleetrpc/fleet/common"
	rpc "github.com/fleetrpc/fleet/protocol"
	"github.com/fleetrpc/fleet/protocol/injvm"
	"github.com/fleetrpc/fleet/protocol/service"
)

// TestStaticTagsThroughTheRegistry: every referred directory has the
// built-in tag router; a reference's dubbo.tag param and a call's
// attachment pick the tagged provider, an untagged call the untagged one.
func TestStaticTagsThroughTheRegistry(t *testing.T) {
	store := "tag-" + t.Name()
	jvm := injvm.New()
	defer jvm.Destroy()
	providers := New(WithProtocol(injvm.Name, jvm), WithLogger(quiet))
	defer providers.Destroy()
	export(t, providers, store, 1)
	u := providerURL(2, map[string]string{common.TagKey: "gray"})
	svc, err := service.New(u, &greeter{name: "p2"})
	require.NoError(t, err)
	_, err = providers.Export(ctx, common.MustParse("memory://"+store+"?export="+u.Encoded()), svc)
	require.NoError(t, err)

	consumers := New(WithProtocol(injvm.Name, jvm), WithLogger(quiet))
	defer consumers.Destroy()
	for _, tt := range []struct {
		tag  string
		atts []string
		want string
	}{
		{"", nil, "p1"},
		{"gray", nil, "p2"},
		{"", []string{common.TagKey, "gray"}, "p2"},
		{"gray", []string{common.TagKey, "blue"}, "p1"}, // no blue provider: the untagged ones
	} {
		t.Run(fmt.Sprintf("tag=%s/%v", tt.tag, tt.atts), func(t *testing.T) {
			q := map[string]string{common.InterfaceKey: iface, common.ApplicationKey: "consumer", common.MethodsKey: "sayHello"}
			if tt.tag != "" {
				q[common.TagKey] = tt.tag
			}
			ref, err := consumers.Refer(ctx, referURL(store, q))
			require.NoError(t, err)
			defer ref.Destroy()
			for i := 0; i < 20; i++ {
				inv := rpc.NewInvocation("sayHello", "bob")
				for j := 0; j+1 < len(tt.atts); j += 2 {
					inv = inv.WithAttachment(tt.atts[j], tt.atts[j+1])
				}
				res := ref.Invoke(ctx, inv)
				require.NoError(t, res.Error())
				require.Equal(t, tt.want+": hello bob", res.Value())
			}
		})
	}
}
