package protocol

import (
	"fmt"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/go-zookeeper/zk"
	"github.com/stretchr/testify/require"

	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/internal/testutil"
	"github.com/fleetrpc/fleet/internal/zktest"
	_ "github.com/fleetrpc/fleet/protocol/dubbo"
	"github.com/fleetrpc/fleet/protocol/service"
	_ "github.com/fleetrpc/fleet/registry/zookeeper"
)

// TestGovernanceEndToEndOnZooKeeper: two dubbo:// providers registered in
// ZooKeeper, a consumer referring through it with no config center
// configured — so, as Java does, the registry's address is the config
// center (namespace and group = the registry's group) — and rules written
// where dubbo-admin writes them for that registry.
func TestGovernanceEndToEndOnZooKeeper(t *testing.T) {
	a := newAdmin(t)
	// The registry's group is the admin's namespace: rules live at
	// /<ns>/config/<ns>/<key>.
	for _, p := range []string{"/" + a.ns + "/config/" + a.ns} {
		_, _ = a.conn.Create(p, nil, 0, zk.WorldACL(zk.PermAll))
	}
	put := func(key, rule string) {
		t.Helper()
		p := "/" + a.ns + "/config/" + a.ns + "/" + key
		if _, err := a.conn.Set(p, []byte(rule), -1); err != nil {
			_, err = a.conn.Create(p, []byte(rule), 0, zk.WorldACL(zk.PermAll))
			require.NoError(t, err)
		}
	}
	rm := func(key string) {
		t.Helper()
		require.NoError(t, a.conn.Delete("/"+a.ns+"/config/"+a.ns+"/"+key, -1))
	}
	regURL := common.MustParse(fmt.Sprintf("zookeeper://%s?group=%s&session=8000&timeout=3000&file.cache=false", zktest.Addr(t), a.ns))

	providers := New(WithLogger(quiet))
	defer providers.Destroy()
	ports := map[string]string{}
	for i := 1; i <= 2; i++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		port := l.Addr().(*net.TCPAddr).Port
		l.Close()
		ports[fmt.Sprintf("p%d", i)] = fmt.Sprint(port)
		u := common.MustParse(fmt.Sprintf("dubbo://127.0.0.1:%d/%s?interface=%s&methods=sayHello&side=provider&application=zk-provider", port, iface, iface))
		svc, err := service.New(u, &greeter{name: fmt.Sprintf("p%d", i)})
		require.NoError(t, err)
		_, err = providers.Export(ctx, regURL, svc)
		require.NoError(t, err)
	}

	logs := &logBuffer{}
	consumers := New(WithLogger(slog.New(slog.NewTextHandler(logs, nil))))
	defer consumers.Destroy()
	q := map[string]string{common.InterfaceKey: iface, common.ApplicationKey: "zk-consumer", common.MethodsKey: "sayHello", common.SideKey: common.ConsumerSide}
	ref, err := consumers.Refer(ctx, regURL.WithParam(common.ReferKey, common.Encode(common.ToQueryString(q))))
	require.NoError(t, err)
	defer ref.Destroy()
	bothAnswer(t, ref)

	// A condition rule as dubbo-admin writes it: the calls move.
	put(serviceConditionKey, "configVersion: v3.0\nscope: service\nkey: "+iface+"\nforce: true\nenabled: true\nconditions:\n  - \"=> port = "+ports["p2"]+"\"\n")
	onlyFrom(t, ref, "p2")

	// Garbage: nothing changes, and the log says which key and why.
	put(serviceConditionKey, "configVersion: v3.0\nconditions: [\"=> host == 1\"]\n")
	require.Eventually(t, func() bool { return strings.Contains(logs.String(), "governance rule rejected") }, testutil.DefaultTimeout, 20*time.Millisecond)
	require.Contains(t, logs.String(), "key="+serviceConditionKey)
	onlyFrom(t, ref, "p2")

	// Deleted: the calls come back.
	rm(serviceConditionKey)
	bothAnswer(t, ref)

	// A weight override shifts p1's share of 1,000 calls.
	before := answerers(t, ref, 1000)
	require.InDelta(t, 500, before["p1"], 150, "%v", before)
	put("zk-consumer"+ConfiguratorsSuffix, "configVersion: v2.7\nscope: application\nkey: zk-consumer\nconfigs:\n  - side: consumer\n    providerAddresses: [\"127.0.0.1:"+ports["p1"]+"\"]\n    parameters: {weight: 900}\n")
	require.Eventually(t, func() bool {
		got := answerers(t, ref, 1000)
		return got["p1"] > 800 && got["p2"] > 20
	}, testutil.DefaultTimeout, 20*time.Millisecond)
	rm("zk-consumer" + ConfiguratorsSuffix)
	require.Eventually(t, func() bool {
		got := answerers(t, ref, 1000)
		return got["p1"] > 350 && got["p1"] < 650
	}, testutil.DefaultTimeout, 20*time.Millisecond)
}
