package protocol

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/protocol/injvm"
	"github.com/fleetrpc/fleet/protocol/service"
)

func TestMultiGroupReference(t *testing.T) {
	store := "groups-" + t.Name()
	jvm := injvm.New()
	defer jvm.Destroy()
	providers := New(WithProtocol(injvm.Name, jvm), WithLogger(quiet))
	defer providers.Destroy()
	for port, group := range map[int]string{1: "a", 2: "b", 3: "c"} {
		u := providerURL(port, map[string]string{common.GroupKey: group})
		svc, err := service.New(u, &greeter{name: group})
		require.NoError(t, err)
		_, err = providers.Export(ctx, common.MustParse("memory://"+store), svc)
		require.NoError(t, err)
	}

	consumers := New(WithProtocol(injvm.Name, jvm), WithLogger(quiet))
	defer consumers.Destroy()
	// Several groups join with the mergeable cluster: without a merger it
	// calls the first group that has an available provider, as Java does.
	for _, tt := range []struct {
		group string
		want  []string
	}{{"*", []string{"a"}}, {"b,c", []string{"b"}}, {"c", []string{"c"}}} {
		t.Run(tt.group, func(t *testing.T) {
			ref, err := consumers.Refer(ctx, referURL(store, map[string]string{
				common.InterfaceKey: iface, common.GroupKey: tt.group, common.MethodsKey: "sayHello",
			}))
			require.NoError(t, err)
			defer ref.Destroy()
			got := answerers(t, ref, 200)
			require.True(t, keysEqual(got, tt.want...), "answered by %v", got)
		})
	}
}
