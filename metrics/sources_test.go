package metrics

import (
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestSourcesReadAtScrapeTime(t *testing.T) {
	m, err := New(WithApplication("app"), WithHost("h", "10.0.0.9"))
	require.NoError(t, err)
	fams := scrape(t, m.Handler())
	for _, name := range []string{RegistryConnected, RegistryFailbackQueue, ConsumerConnections, DirectoryRules, ConfigCenterConnected} {
		require.Nil(t, fams[name], "no source, no series: %s", name)
	}

	var expiries atomic.Uint64
	var connected atomic.Bool
	m.SetRegistrySource(func() []RegistryState {
		return []RegistryState{
			{Registry: "zookeeper://127.0.0.1:2181", Session: true, Connected: connected.Load(), SessionExpiries: expiries.Load(), Pending: 2},
			{Registry: "memory://a", Pending: 1},
		}
	})
	m.SetConnectionSource(func() []ConnectionState {
		return []ConnectionState{{Address: "10.0.0.1:20880", Held: 2, Open: 1}, {Address: "10.0.0.2:20880", Held: 1}}
	})
	m.SetRuleSource(func() []RuleState {
		return []RuleState{
			{Interface: "org.example.Greeter", Routers: 1, Configurators: 2},
			{Interface: "org.example.Greeter", Routers: 1}, // a second registry's directory
			{Interface: "org.example.Other", Group: "g", Version: "1.0"},
		}
	})

	m.SetConfigCenterSource(func() []ConfigCenterState {
		return []ConfigCenterState{{ConfigCenter: "zookeeper://a:2181", Connected: true, Session: true, SessionExpiries: 2},
			{ConfigCenter: "zookeeper://b:2181", Connected: true}, {ConfigCenter: "zookeeper://b:2181"}}
	})

	zk := map[string]string{LabelApplication: "app", LabelRegistry: "zookeeper://127.0.0.1:2181"}
	fams = scrape(t, m.Handler())
	require.Equal(t, 0.0, value(fams, RegistryConnected, zk))
	require.Equal(t, 0.0, value(fams, RegistrySessionExpiries, zk))
	require.Equal(t, 2.0, value(fams, RegistryFailbackQueue, zk))
	mem := map[string]string{LabelRegistry: "memory://a"}
	require.Equal(t, 1.0, value(fams, RegistryFailbackQueue, mem))
	require.Equal(t, -1.0, value(fams, RegistryConnected, mem), "no session: not exported")

	connected.Store(true)
	expiries.Store(3)
	fams = scrape(t, m.Handler())
	require.Equal(t, 1.0, value(fams, RegistryConnected, zk), "read again at the next scrape")
	require.Equal(t, 3.0, value(fams, RegistrySessionExpiries, zk))

	require.Equal(t, 1.0, value(fams, ConsumerConnections, map[string]string{LabelAddress: "10.0.0.1:20880"}))
	require.Equal(t, 2.0, value(fams, ConsumerConnectionsHeld, map[string]string{LabelAddress: "10.0.0.1:20880"}))
	require.Equal(t, 0.0, value(fams, ConsumerConnections, map[string]string{LabelAddress: "10.0.0.2:20880"}))

	require.Equal(t, 1.0, value(fams, ConfigCenterConnected, map[string]string{LabelApplication: "app", LabelCenter: "zookeeper://a:2181"}))
	require.Equal(t, 0.0, value(fams, ConfigCenterConnected, map[string]string{LabelCenter: "zookeeper://b:2181"}), "one of two down")
	require.Equal(t, 2.0, value(fams, ConfigCenterExpiries, map[string]string{LabelCenter: "zookeeper://a:2181"}))
	require.Equal(t, -1.0, value(fams, ConfigCenterExpiries, map[string]string{LabelCenter: "zookeeper://b:2181"}), "no session counted: not exported")

	greeter := map[string]string{LabelApplication: "app", LabelHostname: "h", LabelIP: "10.0.0.9", LabelInterface: "org.example.Greeter"}
	m.SetOutlierSource(func() []OutlierState {
		return []OutlierState{
			{Interface: "org.example.Greeter", Ejected: 1},
			{Interface: "org.example.Greeter", Ejected: 1, Probing: 1}, // a second reference
		}
	})
	fams = scrape(t, m.Handler())
	require.Equal(t, 2.0, value(fams, ConsumerOutliers, with(greeter, LabelState, "ejected")), "summed over references")
	require.Equal(t, 1.0, value(fams, ConsumerOutliers, with(greeter, LabelState, "probing")))
	require.Equal(t, -1.0, value(fams, ConsumerOutliers, map[string]string{LabelInterface: "org.example.Other"}), "no outliers: not exported")
	require.Equal(t, 2.0, value(fams, DirectoryRules, with(greeter, LabelKind, KindRouter)), "summed over directories")
	require.Equal(t, 2.0, value(fams, DirectoryRules, with(greeter, LabelKind, KindConfigurator)))
	require.Equal(t, 0.0, value(fams, DirectoryRules, map[string]string{LabelInterface: "org.example.Other",
		LabelGroup: "g", LabelVersion: "1.0", LabelKind: KindRouter}))
}

func with(m map[string]string, k, v string) map[string]string {
	out := map[string]string{k: v}
	for a, b := range m {
		out[a] = b
	}
	return out
}
