package metrics

import (
	"net/http"
	"os"
	"sync"
	"sync/atomic"

	"github.com/fleetrpc/fleet/common"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Sides of a call, the %s of Dubbo's metric names.
const (
	Consumer = "consumer"
	Provider = "provider"
)

// Label names, Java Dubbo's MetricsConstants tags with dots as underscores.
const (
	LabelApplication = "application_name"
	LabelHostname    = "hostname"
	LabelIP          = "ip"
	LabelInterface   = "interface"
	LabelMethod      = "method"
	LabelGroup       = "group"
	LabelVersion     = "version"
)

var labelNames = []string{LabelApplication, LabelHostname, LabelIP, LabelInterface, LabelMethod, LabelGroup, LabelVersion}

// DefaultBuckets are the latency histogram's upper bounds, in milliseconds.
var DefaultBuckets = []float64{1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000}

// maxCachedURLs bounds the (URL → label children) cache of each side; past
// it the cache starts again (URLs of destroyed invokers would otherwise
// stay in it forever).
const maxCachedURLs = 4096

// Metrics holds the collectors of both sides and the registry they are
// registered in. It is safe for concurrent use.
type Metrics struct {
	promReg   *prometheus.Registry // immutable
	registry  *registryMetrics     // immutable
	consumer  *side                // immutable
	provider  *side                // immutable
	providers *providers           // immutable
	sources   *sources             // immutable
}

// Option configures New.
type Option func(*options)

type options struct {
	registry    *prometheus.Registry
	application string
	hostname    string
	ip          string
	buckets     []float64
}

// WithRegistry registers the collectors in r instead of a registry of the
// Metrics' own (which also holds the Go and process collectors).
func WithRegistry(r *prometheus.Registry) Option { return func(o *options) { o.registry = r } }

// WithApplication sets the application_name label of calls whose URL has
// no application param.
func WithApplication(name string) Option { return func(o *options) { o.application = name } }

// WithHost sets the hostname and ip labels (default os.Hostname and
// 127.0.0.1).
func WithHost(hostname, ip string) Option {
	return func(o *options) { o.hostname, o.ip = hostname, ip }
}

// WithBuckets sets the latency histogram's buckets, in milliseconds.
func WithBuckets(b ...float64) Option { return func(o *options) { o.buckets = b } }

// New returns the metrics of both sides, registered in their registry.
// It fails when a collector of the same name is already registered there.
func New(opts ...Option) (*Metrics, error) {
	o := options{ip: "127.0.0.1", buckets: DefaultBuckets}
	for _, opt := range opts {
		opt(&o)
	}
	if o.hostname == "" {
		o.hostname, _ = os.Hostname()
	}
	reg := o.registry
	if reg == nil {
		reg = prometheus.NewRegistry()
		if err := reg.Register(collectors.NewGoCollector()); err != nil {
			return nil, err
		}
		if err := reg.Register(collectors.NewProcessCollector(collectors.ProcessCollectorOpts{})); err != nil {
			return nil, err
		}
	}
	m := &Metrics{promReg: reg}
	var err error
	if m.consumer, err = newSide(reg, Consumer, o); err != nil {
		return nil, err
	}
	if m.provider, err = newSide(reg, Provider, o); err != nil {
		return nil, err
	}
	if m.registry, err = newRegistryMetrics(reg, o); err != nil {
		return nil, err
	}
	m.providers = newProviders(o)
	if err := reg.Register(m.providers); err != nil {
		return nil, err
	}
	m.sources = newSources(o)
	if err := reg.Register(m.sources); err != nil {
		return nil, err
	}
	return m, nil
}

// Registry is the registry the collectors are in; a program may register
// its own collectors in it.
func (m *Metrics) Registry() *prometheus.Registry { return m.promReg }

// Handler serves the registry in the Prometheus exposition formats.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.promReg, promhttp.HandlerOpts{Registry: m.promReg})
}

// side is the collectors of one side.
type side struct {
	opts options

	requests, succeed, failed, business, timeout, limit, network, unavailable, codec, unknown *prometheus.CounterVec
	processing                                                                                *prometheus.GaugeVec
	rt                                                                                        *prometheus.HistogramVec

	mu    sync.Mutex // serialises cache writes
	cache atomic.Pointer[map[*common.URL]*urlEntry]
}

func newSide(reg prometheus.Registerer, name string, o options) (*side, error) {
	s := &side{opts: o}
	counter := func(suffix, help string) *prometheus.CounterVec {
		return prometheus.NewCounterVec(prometheus.CounterOpts{Name: "dubbo_" + name + "_" + suffix, Help: help}, labelNames)
	}
	s.requests = counter("requests_total", "Total Requests")
	s.succeed = counter("requests_succeed_total", "Total Succeed Requests")
	s.failed = counter("requests_failed_total", "Total Failed Requests")
	s.business = counter("requests_business_failed_total", "Total Failed Business Requests")
	s.timeout = counter("requests_timeout_total", "Total Timeout Failed Requests")
	s.limit = counter("requests_limit_total", "Total Limit Failed Requests")
	s.network = counter("requests_failed_network_total", "Total network Failed Requests")
	s.unavailable = counter("requests_failed_service_unavailable_total", "Total Service Unavailable Failed Requests")
	s.codec = counter("requests_failed_codec_total", "Total Codec Failed Requests")
	s.unknown = counter("requests_unknown_failed_total", "Total Unknown Failed Requests")
	s.processing = prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "dubbo_" + name + "_requests_processing", Help: "Processing Requests"}, labelNames)
	s.rt = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "dubbo_" + name + "_rt_milliseconds", Help: "Response Time Histogram, in milliseconds", Buckets: o.buckets,
	}, labelNames)
	for _, c := range []prometheus.Collector{s.requests, s.succeed, s.failed, s.business, s.timeout, s.limit,
		s.network, s.unavailable, s.codec, s.unknown, s.processing, s.rt} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	empty := map[*common.URL]*urlEntry{}
	s.cache.Store(&empty)
	return s, nil
}
