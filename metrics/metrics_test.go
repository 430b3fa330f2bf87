package metrics

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/protocol"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/stretchr/testify/require"
)

// kindInvoker answers each call with the outcome its first argument names.
type kindInvoker struct{ url *common.URL }

func (k *kindInvoker) URL() *common.URL  { return k.url }
func (k *kindInvoker) IsAvailable() bool { return true }
func (k *kindInvoker) Destroy()          {}
func (k *kindInvoker) Invoke(_ context.Context, inv protocol.Invocation) protocol.Result {
	kind, _ := protocol.RealArguments(inv)[0].(protocol.Kind)
	if kind < 0 {
		return protocol.NewResult("ok", nil)
	}
	err := error(protocol.NewError(kind, "svc", inv.MethodName(), "127.0.0.1:1", "test", nil))
	if kind == protocol.KindTimeout {
		err = fmt.Errorf("wrapped: %w", err) // a wrapped *Error is classified too
	}
	return protocol.ErrorResult(err)
}

// scrape fetches the handler's exposition over HTTP and parses it.
func scrape(t *testing.T, h http.Handler) map[string]*dto.MetricFamily {
	t.Helper()
	srv := httptest.NewServer(h)
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	var p expfmt.TextParser
	fams, err := p.TextToMetricFamilies(bytes.NewReader(body))
	require.NoError(t, err, "exposition:\n%s", body)
	return fams
}

// value returns the counter, gauge or histogram count of the series of
// family name whose labels include want; -1 when there is none.
func value(fams map[string]*dto.MetricFamily, name string, want map[string]string) float64 {
	f := fams[name]
	if f == nil {
		return -1
	}
next:
	for _, m := range f.GetMetric() {
		have := map[string]string{}
		for _, l := range m.GetLabel() {
			have[l.GetName()] = l.GetValue()
		}
		for k, v := range want {
			if have[k] != v {
				continue next
			}
		}
		switch {
		case m.Counter != nil:
			return m.GetCounter().GetValue()
		case m.Gauge != nil:
			return m.GetGauge().GetValue()
		case m.Histogram != nil:
			return float64(m.GetHistogram().GetSampleCount())
		}
	}
	return -1
}

func TestFilterCountsByKind(t *testing.T) {
	m, err := New(WithApplication("fallback-app"), WithHost("host-a", "10.0.0.9"))
	require.NoError(t, err)
	u := common.NewURL("consumer", "10.0.0.9", 0, "org.example.Greeter", map[string]string{
		common.InterfaceKey: "org.example.Greeter", common.GroupKey: "g1", common.VersionKey: "1.0", common.ApplicationKey: "shop",
	})
	consumer := protocol.WithFilters(&kindInvoker{url: u}, m.ConsumerFilter())
	provider := protocol.WithFilters(&kindInvoker{url: u}, m.ProviderFilter())

	calls := []struct {
		kind protocol.Kind
		n    int
	}{
		{-1, 5},
		{protocol.KindBusiness, 3},
		{protocol.KindTimeout, 2},
		{protocol.KindNetwork, 4},
		{protocol.KindNoProvider, 1},
		{protocol.KindForbidden, 1},
		{protocol.KindLimit, 1},
		{protocol.KindSerialization, 1},
		{protocol.KindUnknown, 1},
	}
	total := 0
	for _, c := range calls {
		for i := 0; i < c.n; i++ {
			consumer.Invoke(context.Background(), protocol.NewInvocation("sayHello", c.kind))
			total++
		}
	}
	// A generic call counts under its real method.
	provider.Invoke(context.Background(), protocol.NewGenericInvocation("getUser", []string{"int"}, []any{protocol.Kind(-1)}))

	fams := scrape(t, m.Handler())
	labels := map[string]string{
		LabelApplication: "shop", LabelHostname: "host-a", LabelIP: "10.0.0.9",
		LabelInterface: "org.example.Greeter", LabelMethod: "sayHello", LabelGroup: "g1", LabelVersion: "1.0",
	}
	for _, tc := range []struct {
		name string
		want float64
	}{
		{"dubbo_consumer_requests_total", float64(total)},
		{"dubbo_consumer_requests_succeed_total", 5},
		{"dubbo_consumer_requests_failed_total", float64(total - 5)},
		{"dubbo_consumer_requests_business_failed_total", 3},
		{"dubbo_consumer_requests_timeout_total", 2},
		{"dubbo_consumer_requests_failed_network_total", 4},
		{"dubbo_consumer_requests_failed_service_unavailable_total", 2},
		{"dubbo_consumer_requests_limit_total", 1},
		{"dubbo_consumer_requests_failed_codec_total", 1},
		{"dubbo_consumer_requests_unknown_failed_total", 1},
		{"dubbo_consumer_requests_processing", 0},
		{"dubbo_consumer_rt_milliseconds", float64(total)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, value(fams, tc.name, labels))
		})
	}
	require.Equal(t, float64(-1), value(fams, "dubbo_provider_requests_total", map[string]string{LabelMethod: "sayHello"}))
	require.Equal(t, float64(1), value(fams, "dubbo_provider_requests_succeed_total", map[string]string{LabelMethod: "getUser", LabelApplication: "shop"}))
	require.NotNil(t, fams["go_goroutines"], "the registry of its own holds the Go collector")
}

func TestProcessingCountsCallsInFlight(t *testing.T) {
	m, err := New()
	require.NoError(t, err)
	u := common.NewURL("dubbo", "127.0.0.1", 20880, "org.example.Slow", nil)
	entered, release := make(chan struct{}), make(chan struct{})
	slow := protocol.WithFilters(invokerFunc{u, func(context.Context, protocol.Invocation) protocol.Result {
		entered <- struct{}{}
		<-release
		return protocol.NewResult(nil, nil)
	}}, m.ProviderFilter())
	done := make(chan struct{})
	for i := 0; i < 2; i++ {
		go func() {
			slow.Invoke(context.Background(), protocol.NewInvocation("wait"))
			done <- struct{}{}
		}()
	}
	<-entered
	<-entered
	labels := map[string]string{LabelInterface: "org.example.Slow", LabelMethod: "wait", LabelApplication: ""}
	require.Equal(t, float64(2), value(scrape(t, m.Handler()), "dubbo_provider_requests_processing", labels))
	close(release)
	<-done
	<-done
	require.Equal(t, float64(0), value(scrape(t, m.Handler()), "dubbo_provider_requests_processing", labels))
}

func TestNewFailsOnDuplicateRegistration(t *testing.T) {
	m, err := New()
	require.NoError(t, err)
	_, err = New(WithRegistry(m.Registry()))
	require.Error(t, err)
	var already interface{ Error() string }
	require.True(t, errors.As(err, &already))
}

func TestFilterDoesNotAllocate(t *testing.T) {
	m, err := New()
	require.NoError(t, err)
	u := common.NewURL("consumer", "127.0.0.1", 0, "org.example.Greeter", nil)
	res := protocol.NewResult("ok", nil)
	inv := protocol.WithFilters(invokerFunc{u, func(context.Context, protocol.Invocation) protocol.Result { return res }}, m.ConsumerFilter())
	call := protocol.NewInvocation("sayHello")
	ctx := context.Background()
	inv.Invoke(ctx, call)
	require.Zero(t, testing.AllocsPerRun(200, func() { inv.Invoke(ctx, call) }))
}

type invokerFunc struct {
	url *common.URL
	fn  func(context.Context, protocol.Invocation) protocol.Result
}

func (f invokerFunc) URL() *common.URL  { return f.url }
func (f invokerFunc) IsAvailable() bool { return true }
func (f invokerFunc) Destroy()          {}
func (f invokerFunc) Invoke(ctx context.Context, inv protocol.Invocation) protocol.Result {
	return f.fn(ctx, inv)
}
