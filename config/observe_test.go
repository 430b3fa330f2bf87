package config

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/stretchr/testify/require"

	"github.com/fleetrpc/fleet/protocol"

	"github.com/fleetrpc/fleet/internal/testutil"
	_ "github.com/fleetrpc/fleet/protocol/dubbo"
)

type obsService struct{ slow time.Duration }

func (obsService) SayHello(_ context.Context, name string) (string, error) {
	return "Hello " + name, nil
}
func (obsService) Fail(_ context.Context, name string) (string, error) {
	return "", errors.New("no such user " + name)
}
func (s obsService) Slow(ctx context.Context, name string) (string, error) {
	select {
	case <-time.After(s.slow):
	case <-ctx.Done():
	}
	return "late " + name, nil
}

// observedYAML is a provider and its consumer over dubbo:// on 127.0.0.1,
// through an embedded registry, with metrics on a free port.
func observedYAML(t *testing.T, extra string) string {
	return fmt.Sprintf(`
dubbo:
  application: {name: observed}
  metrics: {enable: true, host: 127.0.0.1, port: "0", path: /prom}
  registries:
    mem: {protocol: memory, address: %s}
  protocols:
    dubbo: {name: dubbo, ip: 127.0.0.1, port: %d}
  provider:
    services:
      Obs: {interface: org.example.Obs, group: g1, version: 1.0.0}
  consumer:
    references:
      Obs: {interface: org.example.Obs, group: g1, version: 1.0.0, retries: 0, timeout: 500ms}
      Down: {interface: org.example.Down, retries: 0, url: "dubbo://127.0.0.1:%d/org.example.Down"}
%s`, t.Name(), testutil.FreePort(t), testutil.FreePort(t), extra)
}

func scrapeText(t *testing.T, url string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	var p expfmt.TextParser
	fams, err := p.TextToMetricFamilies(bytes.NewReader(body))
	require.NoError(t, err)
	return fams
}

// counter sums the series of name whose labels include want.
func counter(fams map[string]*dto.MetricFamily, name string, want map[string]string) float64 {
	sum := 0.0
	f := fams[name]
	if f == nil {
		return 0
	}
next:
	for _, m := range f.GetMetric() {
		for _, l := range m.GetLabel() {
			if v, ok := want[l.GetName()]; ok && v != l.GetValue() {
				continue next
			}
		}
		sum += m.GetCounter().GetValue()
	}
	return sum
}

func TestMetricsOverDubbo(t *testing.T) {
	cfg, err := LoadBytes("observed.yml", []byte(observedYAML(t, "")))
	require.NoError(t, err)
	ctx := context.Background()
	provider := NewRuntime(cfg, WithLocalIP("127.0.0.1"))
	defer provider.Close()
	require.NoError(t, provider.Export(ctx, "Obs", obsService{slow: 2 * time.Second}))
	consumer := NewRuntime(cfg, WithLocalIP("127.0.0.1"))
	defer consumer.Close()
	ref, err := consumer.Refer(ctx, "Obs")
	require.NoError(t, err)
	down, err := consumer.Refer(ctx, "Down")
	require.NoError(t, err)

	for i := 0; i < 4; i++ {
		_, err := ref.Call(ctx, "sayHello", "x")
		require.NoError(t, err)
	}
	for i := 0; i < 3; i++ {
		_, err := ref.Call(ctx, "fail", "x")
		require.ErrorIs(t, err, protocol.ErrBusiness)
	}
	for i := 0; i < 2; i++ {
		_, err := ref.Call(ctx, "slow", "x")
		require.ErrorIs(t, err, protocol.ErrTimeout)
	}
	_, err = down.Call(ctx, "sayHello", "x")
	require.ErrorIs(t, err, protocol.ErrNetwork)

	addr := consumer.MetricsAddr()
	require.Contains(t, addr, "127.0.0.1:", "metrics.host is where the server listens")
	fams := scrapeText(t, "http://"+addr+"/prom")
	obs := map[string]string{"interface": "org.example.Obs", "group": "g1", "version": "1.0.0", "application_name": "observed"}
	for _, tc := range []struct {
		name   string
		method string
		want   float64
	}{
		{"dubbo_consumer_requests_total", "", 9},
		{"dubbo_consumer_requests_succeed_total", "sayHello", 4},
		{"dubbo_consumer_requests_failed_total", "", 5},
		{"dubbo_consumer_requests_business_failed_total", "fail", 3},
		{"dubbo_consumer_requests_timeout_total", "slow", 2},
		{"dubbo_consumer_requests_failed_network_total", "", 0},
	} {
		want := map[string]string{}
		for k, v := range obs {
			want[k] = v
		}
		if tc.method != "" {
			want["method"] = tc.method
		}
		require.Equal(t, tc.want, counter(fams, tc.name, want), tc.name)
	}
	require.Equal(t, 1.0, counter(fams, "dubbo_consumer_requests_failed_network_total", map[string]string{"interface": "org.example.Down"}))

	// The registry metrics: the consumer registered itself and subscribed
	// once for Obs (Down is direct), and the directory applied notifies.
	app := map[string]string{"application_name": "observed"}
	require.Equal(t, 1.0, counter(fams, "dubbo_registry_register_requests_succeed_total", app))
	require.Equal(t, 1.0, counter(fams, "dubbo_registry_subscribe_num_succeed_total", app))
	require.GreaterOrEqual(t, counter(fams, "dubbo_registry_notify_requests_total", map[string]string{"interface": "org.example.Obs"}), 1.0)

	// The directory gauges count the providers the references hold.
	gauge := func(f map[string]*dto.MetricFamily, name, iface string) float64 {
		for _, m := range f[name].GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "interface" && l.GetValue() == iface {
					return m.GetGauge().GetValue()
				}
			}
		}
		return -1
	}
	require.Equal(t, 1.0, gauge(fams, "dubbo_registry_directory_num_all", "org.example.Obs"))
	require.Equal(t, 1.0, gauge(fams, "dubbo_registry_directory_num_valid_total", "org.example.Obs"))
	require.Equal(t, 1.0, gauge(fams, "dubbo_registry_directory_num_all", "org.example.Down"))
	require.Equal(t, 1.0, gauge(fams, "dubbo_registry_directory_num_valid_total", "org.example.Down")+
		gauge(fams, "dubbo_registry_directory_num_to_reconnect_total", "org.example.Down"), "valid + to reconnect = all")

	// The provider counts what reached it; the slow calls finish later.
	require.Eventually(t, func() bool {
		f := scrapeText(t, "http://"+provider.MetricsAddr()+"/prom")
		return counter(f, "dubbo_provider_requests_succeed_total", obs) == 6 &&
			counter(f, "dubbo_provider_requests_business_failed_total", obs) == 3
	}, 15*time.Second, 20*time.Millisecond)
}

func TestMetricsOffByDefault(t *testing.T) {
	cfg, err := LoadBytes("plain.yml", []byte(runtimeYAML))
	require.NoError(t, err)
	rt := NewRuntime(cfg)
	defer rt.Close()
	require.Nil(t, rt.Metrics())
	require.Empty(t, rt.MetricsAddr())
}

func TestObservabilityValidation(t *testing.T) {
	for _, tc := range []struct{ yaml, key string }{
		{"dubbo:\n  metrics: {enable: true, port: abc}\n", "dubbo.metrics.port"},
		{"dubbo:\n  metrics: {enable: true, path: metrics}\n", "dubbo.metrics.path"},
		{"dubbo:\n  admin: {port: \"70000\"}\n", "dubbo.admin.port"},
	} {
		_, err := LoadBytes("bad.yml", []byte(tc.yaml))
		var verr *ValidationError
		require.ErrorAs(t, err, &verr, tc.yaml)
		require.Equal(t, tc.key, verr.Key)
	}
}

func TestMetricsPortInUseFailsReferAndExport(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	port := l.Addr().(*net.TCPAddr).Port
	cfg, err := LoadBytes("busy.yml", []byte(fmt.Sprintf(`
dubbo:
  metrics: {enable: true, host: 127.0.0.1, port: "%d"}
  registries:
    mem: {protocol: memory, address: busy}
  provider:
    services:
      Greeter: {interface: org.example.Greeter}
`, port)))
	require.NoError(t, err)
	rt := NewRuntime(cfg)
	defer rt.Close()
	err = rt.Export(context.Background(), "Greeter", greeter{})
	require.ErrorContains(t, err, "metrics server")
}

// A Close racing the first Refer leaves no metrics server behind (goleak
// checks the goroutines at the end of the package's tests).
func TestMetricsServerStopsWithCloseRacingRefer(t *testing.T) {
	cfg, err := LoadBytes("race.yml", []byte(`
dubbo:
  metrics: {enable: true, host: 127.0.0.1, port: "0"}
  consumer:
    references:
      Direct: {interface: org.example.Greeter, check: false, url: "dubbo://127.0.0.1:1/org.example.Greeter"}
`))
	require.NoError(t, err)
	for i := 0; i < 20; i++ {
		rt := NewRuntime(cfg)
		done := make(chan error, 1)
		go func() {
			_, err := rt.Refer(context.Background(), "Direct")
			done <- err
		}()
		rt.Close()
		if err := <-done; err != nil {
			require.ErrorIs(t, err, ErrClosed)
		}
		rt.Close()
	}
}
