package servicediscovery

import (
	"io"
	"log/slog"
	"testing"

	"github.com/stretchr/testify/require"

	_ "github.com/fleetrpc/fleet/cluster" // failover
	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/internal/zktest"
	rpc "github.com/fleetrpc/fleet/protocol"
	"github.com/fleetrpc/fleet/protocol/dubbo"
	"github.com/fleetrpc/fleet/protocol/service"
)

type greeter struct{ who string }

func (g greeter) SayHello(name string) (string, error) {
	return "hello " + name + " from " + g.who, nil
}

// A reference through the registry protocol, the unchanged
// RegistryDirectory and a failover cluster calls providers found only by
// application-level discovery: two instances, one revision, one metadata
// call.
func TestReferThroughDirectoryAndCluster(t *testing.T) {
	e := newEnv(t)
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	ms := &metadataService{}
	msPort := exportMetadataService(t, e.app, ms)

	var ports []int
	for _, who := range []string{"a", "b"} {
		p := dubbo.New(dubbo.WithLogger(quiet))
		t.Cleanup(p.Destroy)
		u := common.MustParse("dubbo://127.0.0.1:0/" + e.iface + "?interface=" + e.iface + "&methods=sayHello")
		svc, err := service.New(u, greeter{who: who})
		require.NoError(t, err)
		exp, err := p.Export(svc)
		require.NoError(t, err)
		ports = append(ports, exp.(interface{ URL() *common.URL }).URL().Port())
	}
	ms.set(e.metadata(e.app, "r1", map[string]string{"methods": "sayHello", "application": e.app, "timeout": "3000"}))
	e.mapping(e.app)
	for _, port := range ports {
		e.instance(e.app, port, "r1", msPort)
	}

	ref := referThrough(t, common.MustParse("registry://"+zktest.Addr(t)+"?registry="+Scheme+"&group="+e.Group+"&rootPath="+e.Services+
		"&timeout=3000&session=8000"), e.iface)

	seen := map[string]bool{}
	for i := 0; i < 40 && len(seen) < 2; i++ {
		res := ref.Invoke(ctx, rpc.NewInvocation("sayHello", "world"))
		require.NoError(t, res.Error())
		seen[res.Value().(string)] = true
	}
	require.Equal(t, map[string]bool{"hello world from a": true, "hello world from b": true}, seen)
	require.Equal(t, int64(1), ms.calls.Load())
}
