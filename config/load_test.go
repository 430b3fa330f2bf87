package config

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func noEnv(string) (string, bool) { return "", false }

func TestLoadDubboGoSchema(t *testing.T) {
	var logs bytes.Buffer
	cfg, err := Load("testdata/dubbogo.yml", WithEnv(noEnv), WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	require.NoError(t, err)
	require.Empty(t, logs.String(), "a dubbo-go file has no unknown keys")

	require.Equal(t, "greeter-consumer", cfg.Application.Name)
	zk := cfg.Registries["zk"]
	require.Equal(t, "zk", zk.ID)
	require.Equal(t, "secret", zk.Password, "the ${VAR:default} placeholder falls back to its default")
	u, err := zk.RegistryURL()
	require.NoError(t, err)
	require.Equal(t, "zookeeper://admin:secret@127.0.0.1:2181?backup=127.0.0.1:2182&group=dubbo-dev&retry.period=3000&timeout=5000", u.FullString())

	require.Equal(t, StringList{"zk"}, cfg.Consumer.RegistryIDs, "a comma string is a list")
	ref := cfg.Consumer.References["GreeterClientImpl"]
	require.Equal(t, "GreeterClientImpl", ref.Name)
	p := cfg.ConsumerParams(ref, []string{"sayHello", "sayBye"})
	for k, want := range map[string]string{
		"interface": "org.apache.dubbo.demo.Greeter", "group": "g1", "version": "1.0.0",
		"cluster": "failover", "loadbalance": "roundrobin", "retries": "3", "sticky": "true",
		"timeout": "3000", "check": "false", "application": "greeter-consumer", "side": "consumer",
		"methods": "sayHello,sayBye", "sayHello.retries": "1", "sayHello.timeout": "500",
		"sayHello.loadbalance": "leastactive", "dubbo.tag": "gray", "dubbo": "2.0.2",
	} {
		require.Equal(t, want, p[k], "param %s", k)
	}

	urls, err := cfg.RegistryURLs(nil)
	require.NoError(t, err)
	require.Len(t, urls, 2)
	require.Equal(t, "nacos", urls[0].Protocol(), "registries in id order")
	for _, u := range urls {
		require.Equal(t, "greeter-consumer", u.ParamOr("application", ""), "the application names the registry's disk snapshot")
	}
}

func TestLoadPlainRegistryURLs(t *testing.T) {
	cfg, err := LoadBytes("plain.yml", []byte(`
dubbo:
  registries: ["zookeeper://127.0.0.1:2181?timeout=5s", "memory://local"]
  consumer:
    registry-ids: [registry-1]
    references:
      Greeter: {interface: org.a.Greeter}
`))
	require.NoError(t, err)
	urls, err := cfg.RegistryURLs(cfg.Consumer.RegistryIDs)
	require.NoError(t, err)
	require.Equal(t, []string{"memory://local"}, []string{urls[0].String()})
	p := cfg.ConsumerParams(cfg.Consumer.References["Greeter"], nil)
	require.Equal(t, "true", p["check"], "check defaults to true")
	_, hasTimeout := p["timeout"]
	require.False(t, hasTimeout, "no timeout param unless configured: Dubbo's 1000 ms default applies")
}

func TestEnvironmentPlaceholders(t *testing.T) {
	env := func(k string) (string, bool) {
		v, ok := map[string]string{"ZK": "10.0.0.7:2181", "RETRIES": "5"}[k]
		return v, ok
	}
	cfg, err := LoadBytes("env.yml", []byte(`
dubbo:
  registries:
    zk: {protocol: zookeeper, address: "${ZK}"}
  consumer:
    references:
      Greeter:
        interface: org.a.Greeter
        retries: ${RETRIES}
`), WithEnv(env))
	require.NoError(t, err)
	require.Equal(t, "10.0.0.7:2181", cfg.Registries["zk"].Address)
	require.Equal(t, "5", cfg.Consumer.References["Greeter"].Retries)

	_, err = LoadBytes("env.yml", []byte("dubbo:\n  application:\n    name: ${MISSING}\n"), WithEnv(noEnv))
	require.EqualError(t, err, "config: env.yml: line 3: environment variable MISSING is not set")
}

func TestUnknownKeysWarn(t *testing.T) {
	var logs bytes.Buffer
	_, err := LoadBytes("unknown.yml", []byte(`
dubbo:
  consumer:
    referencez: {}
    references:
      Greeter:
        interface: org.a.Greeter
        colour: blue
`), WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
	require.NoError(t, err)
	out := logs.String()
	require.Contains(t, out, "key=dubbo.consumer.referencez")
	require.Contains(t, out, "line=4")
	require.Contains(t, out, "key=dubbo.consumer.references.Greeter.colour")
	require.Contains(t, out, "line=8")
	require.Equal(t, 2, strings.Count(out, "unknown configuration key"))
}

func TestInvalidConfigurations(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		err  string
	}{
		{"empty", "", "config: bad.yml: empty configuration"},
		{"not yaml", "dubbo: [", "config: bad.yml: yaml: line 1"},
		{"wrong type", "dubbo:\n  consumer:\n    check: maybe\n", "line 3: cannot unmarshal !!str `maybe` into bool"},
		{"missing interface", "dubbo:\n  consumer:\n    references:\n      G:\n        retries: 1\n",
			`config: bad.yml:4: dubbo.consumer.references.G.interface: "" is required`},
		{"bad retries", "dubbo:\n  consumer:\n    references:\n      G:\n        interface: a.B\n        retries: many\n",
			`config: bad.yml:6: dubbo.consumer.references.G.retries: "many" is not an integer`},
		{"bad timeout", "dubbo:\n  consumer:\n    request-timeout: soon\n",
			`config: bad.yml:3: dubbo.consumer.request-timeout: "soon" is not a duration`},
		{"negative timeout", "dubbo:\n  consumer:\n    request-timeout: -5\n", `"-5" is not a duration`},
		{"unknown registry id", "dubbo:\n  registries:\n    zk: {protocol: zookeeper, address: h:1}\n  consumer:\n    registry-ids: [nacos]\n",
			`config: bad.yml:5: dubbo.consumer.registry-ids: "nacos" names no registry (have [zk])`},
		{"registry without protocol", "dubbo:\n  registries:\n    zk: {address: h:1}\n", `dubbo.registries.zk.protocol: "" is required`},
		{"registry without address", "dubbo:\n  registries:\n    zk: {protocol: zookeeper}\n", `dubbo.registries.zk.address: "" is required`},
		{"bad registry url", "dubbo:\n  registries: [\"://nohost\"]\n", `dubbo.registries.registry-0: "://nohost" is not a registry URL`},
		{"bad reference url", "dubbo:\n  consumer:\n    references:\n      G: {interface: a.B, url: \"dubbo://h:port\"}\n", `dubbo.consumer.references.G.url`},
		{"method without name", "dubbo:\n  consumer:\n    references:\n      G:\n        interface: a.B\n        methods: [{retries: 1}]\n",
			`config: bad.yml:6: dubbo.consumer.references.G.methods[0]: "" needs a name`},
		{"bad method timeout", "dubbo:\n  consumer:\n    references:\n      G:\n        interface: a.B\n        methods: [{name: m, timeout: x}]\n",
			`dubbo.consumer.references.G.methods[0].timeout: "x" is not a duration`},
		{"service without interface", "dubbo:\n  provider:\n    services:\n      S: {version: 1}\n", `dubbo.provider.services.S.interface: "" is required`},
		{"bad port", "dubbo:\n  protocols:\n    dubbo: {name: dubbo, port: 70000}\n", `dubbo.protocols.dubbo.port: "70000" is not a port number`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := LoadBytes("bad.yml", []byte(tt.yaml), WithEnv(noEnv))
			require.Error(t, err)
			require.Contains(t, err.Error(), tt.err)
		})
	}
}

func TestLoadMissingFile(t *testing.T) {
	_, err := Load("testdata/nope.yml")
	require.ErrorContains(t, err, "testdata/nope.yml")
}

func TestLoadDefault(t *testing.T) {
	t.Setenv(PathEnv, "")
	t.Setenv(DubboGoPathEnv, "testdata/dubbogo.yml")
	cfg, err := LoadDefault(WithEnv(noEnv))
	require.NoError(t, err)
	require.Contains(t, cfg.Consumer.References, "GreeterClientImpl")
}
