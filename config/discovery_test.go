package config

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/registry"
	"github.com/fleetrpc/fleet/registry/memory"
	"github.com/fleetrpc/fleet/registry/migration"
	regprotocol "github.com/fleetrpc/fleet/registry/protocol"
)

// The config tests have no registry/servicediscovery (it needs ZooKeeper):
// a stand-in for its scheme serves the application level of this file's
// memory registries (discovery-N) from the store app-<name>, and refuses
// any other registry as servicediscovery refuses what it does not
// support, so the other tests' references stay interface-level.
func init() {
	registry.Register(regprotocol.ServiceDiscoveryScheme, func(u *common.URL) (registry.Registry, error) {
		if u.ParamOr("registry", "") != "memory" || !strings.HasPrefix(u.Host(), "discovery-") {
			return nil, fmt.Errorf("stand-in %s: registry %q: %w", u, u.ParamOr("registry", ""), errors.ErrUnsupported)
		}
		return memory.Open(common.MustParse("memory://app-" + u.Host())), nil
	})
}

func TestRegistryTypeAndRegisterModeURLs(t *testing.T) {
	const zk = "zookeeper://127.0.0.1:2181?application=a&group=g"
	const sd = "service-discovery-registry://127.0.0.1:2181?application=a&group=g&registry=zookeeper"
	tests := []struct {
		name         string
		registryType string
		registerMode string
		url          string // the registry as a URL instead
		refer        string
		export       []string
	}{
		{name: "unset: migrate, export interface-level (fleet's default)", refer: zk, export: []string{zk}},
		{name: "all", registryType: "all", refer: zk, export: []string{zk}},
		{name: "interface", registryType: "interface", refer: zk + "&registry-type=interface", export: []string{zk}},
		{name: "interface wins over register-mode", registryType: "interface", registerMode: "all",
			refer: zk + "&registry-type=interface", export: []string{zk}},
		{name: "service", registryType: "service", refer: sd, export: []string{sd}},
		{name: "service wins over register-mode", registryType: "Service", registerMode: "interface", refer: sd, export: []string{sd}},
		{name: "register-mode instance", registerMode: "instance", refer: zk, export: []string{sd}},
		{name: "register-mode all", registerMode: "all", refer: zk, export: []string{zk, sd}},
		{name: "register-mode interface", registerMode: "interface", refer: zk, export: []string{zk}},
		{name: "a URL with Java's registry-type=service", url: "registry://127.0.0.1:2181?registry=zookeeper&registry-type=service&group=g",
			refer:  "service-discovery-registry://127.0.0.1:2181?application=a&group=g&registry=zookeeper",
			export: []string{"service-discovery-registry://127.0.0.1:2181?application=a&group=g&registry=zookeeper"}},
		{name: "a service-discovery-registry URL", registerMode: "all", url: "service-discovery-registry://127.0.0.1:2181?registry=zookeeper",
			refer:  "service-discovery-registry://127.0.0.1:2181?application=a&registry=zookeeper",
			export: []string{"service-discovery-registry://127.0.0.1:2181?application=a&registry=zookeeper"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			regs := fmt.Sprintf("\n    zk: {protocol: zookeeper, address: 127.0.0.1:2181, group: g, registry-type: %q}", tt.registryType)
			id := "zk"
			if tt.url != "" {
				regs, id = fmt.Sprintf(" [%q]", tt.url), "registry-0"
			}
			cfg, err := LoadBytes("d.yml", []byte(fmt.Sprintf(`
dubbo:
  application: {name: a, register-mode: %q}
  registries:%s
`, tt.registerMode, regs)), WithEnv(noEnv))
			require.NoError(t, err)
			refer, err := cfg.ReferRegistryURLs(nil)
			require.NoError(t, err)
			require.Len(t, refer, 1)
			require.Equal(t, tt.refer, refer[0].FullString())
			export, err := cfg.ExportRegistryURLs([]string{id})
			require.NoError(t, err)
			require.Len(t, export, 1)
			var got []string
			for _, u := range export[0] {
				got = append(got, u.FullString())
			}
			require.Equal(t, tt.export, got)
		})
	}
}

func TestDiscoveryValidation(t *testing.T) {
	tests := []struct {
		name, yaml, wantKey, wantValue string
	}{
		{name: "registry-type", yaml: `
  registries:
    zk: {protocol: zookeeper, address: 127.0.0.1:2181, registry-type: both}`,
			wantKey: "dubbo.registries.zk.registry-type", wantValue: "both"},
		{name: "registry-type of a URL", yaml: `
  registries: ["zookeeper://127.0.0.1:2181?registry-type=instance"]`,
			wantKey: "dubbo.registries.registry-0 (url param registry-type)", wantValue: "instance"},
		{name: "register-mode", yaml: `
  application: {name: a, register-mode: instances}`,
			wantKey: "dubbo.application.register-mode", wantValue: "instances"},
		{name: "application migration step", yaml: `
  application: {name: a, service-discovery: {migration: INTERFACE_FIRST}}`,
			wantKey: "dubbo.application.service-discovery.migration", wantValue: "INTERFACE_FIRST"},
		{name: "reference migration step", yaml: `
  consumer:
    references:
      G: {interface: a.G, params: {migration.step: application_first}}`,
			wantKey: "dubbo.consumer.references.G.params.migration.step", wantValue: "application_first"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := LoadBytes("v.yml", []byte("dubbo:"+tt.yaml+"\n"), WithEnv(noEnv))
			var ve *ValidationError
			require.ErrorAs(t, err, &ve)
			require.Equal(t, tt.wantKey, ve.Key)
			require.Equal(t, tt.wantValue, ve.Value)
		})
	}
	_, err := LoadBytes("ok.yml", []byte(`
dubbo:
  application: {name: a, register-mode: ALL, service-discovery: {migration: FORCE_APPLICATION}}
  registries:
    zk: {protocol: zookeeper, address: 127.0.0.1:2181, registry-type: interface}
  consumer:
    references:
      G: {interface: a.G, params: {migration.step: FORCE_INTERFACE}}
`), WithEnv(noEnv))
	require.NoError(t, err)
}

func TestApplicationMigrationStepParam(t *testing.T) {
	cfg, err := LoadBytes("m.yml", []byte(`
dubbo:
  application: {name: a, service-discovery: {migration: FORCE_INTERFACE}}
  consumer:
    references:
      A: {interface: a.A}
      B: {interface: a.B, params: {migration.step: FORCE_APPLICATION}}
`), WithEnv(noEnv))
	require.NoError(t, err)
	require.Equal(t, "FORCE_INTERFACE", cfg.ConsumerParams(cfg.Consumer.References["A"], nil)[migration.StepKey])
	require.Equal(t, "FORCE_APPLICATION", cfg.ConsumerParams(cfg.Consumer.References["B"], nil)[migration.StepKey],
		"the reference's own step wins")
}

var discoverySeq atomic.Int64

// TestRuntimeDiscoveryLevels: through a Runtime, register-mode decides
// where exports go and registry-type how references find them; a
// migrating reference's two directories are both in its snapshot.
func TestRuntimeDiscoveryLevels(t *testing.T) {
	tests := []struct {
		name, registryType, registerMode string
		stores                           []string // stores the provider is registered in
		referErr                         string
		step                             migration.Step // "" no migration
		directories                      int
	}{
		{name: "defaults", stores: []string{""}, step: migration.ApplicationFirst, directories: 2},
		{name: "register-mode all", registerMode: "all", stores: []string{"", "app-"}, step: migration.ApplicationFirst, directories: 2},
		{name: "register-mode instance", registerMode: "instance", stores: []string{"app-"}, step: migration.ApplicationFirst, directories: 2},
		{name: "registry-type service", registryType: "service", stores: []string{"app-"}, directories: 1},
		{name: "registry-type interface", registryType: "interface", registerMode: "all", stores: []string{""}, directories: 1},
		{name: "registry-type service wins over register-mode", registryType: "service", registerMode: "interface",
			stores: []string{"app-"}, directories: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			store := fmt.Sprintf("discovery-%d", discoverySeq.Add(1))
			cfg, err := LoadBytes("rt.yml", []byte(fmt.Sprintf(`
dubbo:
  application: {name: discovery-test, register-mode: %q}
  registries:
    mem: {protocol: memory, address: %s, registry-type: %q}
  protocols:
    injvm: {name: injvm, port: %d}
  provider:
    services:
      Greeter: {interface: org.example.Greeter}
  consumer:
    references:
      Greeter: {interface: org.example.Greeter, protocol: injvm, check: false}
`, tt.registerMode, store, tt.registryType, 31000+discoverySeq.Load())), WithEnv(noEnv))
			require.NoError(t, err)
			ctx := context.Background()
			provider := NewRuntime(cfg, WithLocalIP("127.0.0.1"))
			defer provider.Close()
			require.NoError(t, provider.Export(ctx, "Greeter", greeter{from: "p"}))

			// where the provider is registered
			for _, prefix := range []string{"", "app-"} {
				r := memory.Open(common.MustParse("memory://" + prefix + store))
				found, err := r.Lookup(ctx, common.MustParse("admin://0.0.0.0/org.example.Greeter?interface=org.example.Greeter&category=providers"))
				require.NoError(t, err)
				require.NoError(t, r.Close())
				want := 0
				for _, s := range tt.stores {
					if s == prefix {
						want = 1
					}
				}
				require.Len(t, found, want, "providers in %s%s", prefix, store)
			}

			consumer := NewRuntime(cfg, WithLocalIP("127.0.0.1"))
			defer consumer.Close()
			ref, err := consumer.Refer(ctx, "Greeter")
			require.NoError(t, err)
			step, _, ok := regprotocol.Step(ref.Invoker())
			require.Equal(t, tt.step != "", ok)
			require.Equal(t, tt.step, step)
			v, err := ref.Call(ctx, "sayHello", "bob")
			require.NoError(t, err)
			require.Equal(t, "Hello bob from p", v)

			snap, err := consumer.Snapshot(ctx, "Greeter", "sayHello")
			require.NoError(t, err)
			require.Len(t, snap.Directories, tt.directories)
			if tt.directories == 2 {
				require.True(t, strings.HasPrefix(snap.Directories[0].Registry, "memory://"), snap.Directories[0].Registry)
				require.True(t, strings.HasPrefix(snap.Directories[1].Registry, "service-discovery-registry://"), snap.Directories[1].Registry)
				require.Len(t, snap.Views, 2, "both levels read afresh")
			}
		})
	}
}
