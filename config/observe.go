package config

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/metrics"
	"github.com/fleetrpc/fleet/protocol"
	"github.com/fleetrpc/fleet/tracing"
)

// MetricsConfig is the metrics section (dubbo-go's dubbo.metrics): when
// enabled, every reference and export records Dubbo 3's request metrics
// (package metrics) and the runtime serves them for Prometheus.
type MetricsConfig struct {
	Enable bool   `yaml:"enable"`
	Port   string `yaml:"port"` // default 9090 (dubbo-go's); "0" picks a free port
	Path   string `yaml:"path"` // default /metrics
	Host   string `yaml:"host"` // the address to listen on; default every interface, for the scraper
}

// TracingConfig is the tracing section: when enabled, references and
// exports trace their calls with OpenTelemetry (package tracing) through
// the global TracerProvider (otel.SetTracerProvider), carrying the W3C
// trace context in the attachments as Java Dubbo 3 does. Programs that
// want another provider use tracing's filters with WithReferenceFilters,
// WithAttemptFilters and WithServiceFilters instead.
type TracingConfig struct {
	Enable bool `yaml:"enable"`
}

// AdminConfig is the admin section: the operations endpoint of package
// admin (probes, ls, online/offline, directory snapshots, pprof). Off
// unless a port is set.
type AdminConfig struct {
	Port string `yaml:"port"` // empty: off; "0" picks a free port
	Host string `yaml:"host"` // default 127.0.0.1: loopback only
}

// Defaults of the metrics and admin sections.
const (
	DefaultMetricsPort = "9090"
	DefaultMetricsPath = "/metrics"
	DefaultAdminHost   = "127.0.0.1"
)

func (c *Config) validateObservability() error {
	if c.Metrics.Enable {
		if err := checkPort("dubbo.metrics.port", c.Metrics.Port); err != nil {
			return err
		}
		if p := strings.TrimSpace(c.Metrics.Path); p != "" && !strings.HasPrefix(p, "/") {
			return invalid("dubbo.metrics.path", c.Metrics.Path, "must start with /")
		}
	}
	return checkPort("dubbo.admin.port", c.Admin.Port)
}

func checkPort(key, v string) error {
	if v = strings.TrimSpace(v); v == "" {
		return nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 || n > 65535 {
		return invalid(key, v, "is not a port number (0-65535)")
	}
	return nil
}

// WithReferenceFilters runs filters around each reference's invoker: once
// per call, whatever the retries under it (tracing's call span).
func WithReferenceFilters(fs ...protocol.Filter) RuntimeOption {
	return func(o *runtimeOptions) { o.refFilters = append(o.refFilters, fs...) }
}

// WithAttemptFilters runs filters around each provider invoker a reference
// refers: once per attempt, so a retried or hedged call passes them once
// per provider tried (tracing's client spans).
func WithAttemptFilters(fs ...protocol.Filter) RuntimeOption {
	return func(o *runtimeOptions) { o.attemptFilters = append(o.attemptFilters, fs...) }
}

// WithServiceFilters runs filters around each exported service (tracing's
// server spans).
func WithServiceFilters(fs ...protocol.Filter) RuntimeOption {
	return func(o *runtimeOptions) { o.serviceFilters = append(o.serviceFilters, fs...) }
}

// Metrics returns the runtime's metrics, nil unless dubbo.metrics.enable
// is set. Its Handler can be mounted on a server of the program's own.
func (rt *Runtime) Metrics() *metrics.Metrics { return rt.metrics }

// MetricsAddr is the address the metrics server listens on, once the
// first Refer or Export started it; "" otherwise.
func (rt *Runtime) MetricsAddr() string {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	if rt.metricsSrv == nil {
		return ""
	}
	return rt.metricsLn.Addr().String()
}

// Config is the configuration the runtime was made from; the caller must
// not modify it.
func (rt *Runtime) Config() *Config { return rt.cfg }

// newMetrics makes the metrics of cfg, nil when they are off.
func newMetrics(cfg *Config, localIP string) (*metrics.Metrics, error) {
	if !cfg.Metrics.Enable {
		return nil, nil
	}
	return metrics.New(metrics.WithApplication(cfg.Application.Name), metrics.WithHost("", localIP))
}

// start starts what the runtime serves (the metrics server) on the first
// Refer or Export; its error is returned by every later one too.
func (rt *Runtime) start() error {
	rt.startOnce.Do(func() {
		if rt.metricsErr != nil {
			rt.startErr = rt.metricsErr
			return
		}
		if rt.metrics == nil {
			return
		}
		rt.setMetricSources()
		port := strings.TrimSpace(rt.cfg.Metrics.Port)
		if port == "" {
			port = DefaultMetricsPort
		}
		path := strings.TrimSpace(rt.cfg.Metrics.Path)
		if path == "" {
			path = DefaultMetricsPath
		}
		ln, err := net.Listen("tcp", net.JoinHostPort(strings.TrimSpace(rt.cfg.Metrics.Host), port))
		if err != nil {
			rt.startErr = fmt.Errorf("config: metrics server: %w", err)
			return
		}
		mux := http.NewServeMux()
		mux.Handle(path, rt.metrics.Handler())
		srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
		done := make(chan struct{})
		rt.mu.Lock()
		if rt.closed { // Close ran meanwhile: it would not stop this server
			rt.mu.Unlock()
			ln.Close()
			rt.startErr = ErrClosed
			return
		}
		rt.metricsSrv, rt.metricsLn, rt.metricsDone = srv, ln, done
		rt.mu.Unlock()
		go func() {
			defer close(done)
			if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				rt.logger.Error("metrics server stopped", "address", ln.Addr().String(), "error", err)
			}
		}()
		rt.logger.Info("serving metrics", "address", ln.Addr().String(), "path", path)
	})
	return rt.startErr
}

// stopServers stops the metrics server, waiting for it.
func (rt *Runtime) stopServers() {
	rt.mu.Lock()
	srv, done := rt.metricsSrv, rt.metricsDone
	rt.mu.Unlock()
	if srv == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		srv.Close()
	}
	<-done
}

// wrapProvider is what the runtime puts around a provider invoker a
// reference refers: listed by Providers, counted by the directory gauges
// when metrics are on, inside the attempt filters.
func (rt *Runtime) wrapProvider(inv protocol.Invoker) protocol.Invoker {
	inv = rt.providers.track(inv)
	if rt.metrics != nil {
		inv = rt.metrics.TrackProvider(inv)
	}
	return protocol.WithFilters(inv, rt.attemptFilters...)
}

// filteredProtocol refers through p and wraps each invoker it returns. It
// owns nothing: Destroy is left to p's owner.
type filteredProtocol struct {
	p    protocol.Protocol
	wrap func(protocol.Invoker) protocol.Invoker
}

func (f filteredProtocol) Refer(u *common.URL) (protocol.Invoker, error) {
	inv, err := f.p.Refer(u)
	if err != nil {
		return nil, err
	}
	return f.wrap(inv), nil
}

func (f filteredProtocol) Export(inv protocol.Invoker) (protocol.Exporter, error) {
	return f.p.Export(inv)
}

func (f filteredProtocol) Destroy() {}

// tracingFilters are the filters of dubbo.tracing: call, attempt and
// service; nil when off.
func tracingFilters(cfg *Config) (call, attempt, service protocol.Filter) {
	if !cfg.Tracing.Enable {
		return nil, nil, nil
	}
	tr := tracing.New()
	return tr.CallFilter(), tr.AttemptFilter(), tr.ServerFilter()
}
