package metrics

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Registry metric names, Java Dubbo's register, subscribe and notify
// MetricsKeys.
const (
	RegisterRequests        = "dubbo_registry_register_requests_total"
	RegisterRequestsSucceed = "dubbo_registry_register_requests_succeed_total"
	RegisterRequestsFailed  = "dubbo_registry_register_requests_failed_total"
	SubscribeNum            = "dubbo_registry_subscribe_num_total"
	SubscribeNumSucceed     = "dubbo_registry_subscribe_num_succeed_total"
	SubscribeNumFailed      = "dubbo_registry_subscribe_num_failed_total"
	NotifyRequests          = "dubbo_registry_notify_requests_total"
	NotifyNumLast           = "dubbo_registry_notify_num_last"
	NotifyRTMilliseconds    = "dubbo_notify_rt_milliseconds"
	notifyRTHelp            = "Time a notification took to apply (the listener's Notify), in milliseconds"
)

// registryMetrics are the registry client's collectors.
type registryMetrics struct {
	register, registerOK, registerFailed    prometheus.Counter
	subscribe, subscribeOK, subscribeFailed prometheus.Counter
	notifies                                *prometheus.CounterVec
	notifyLast                              *prometheus.GaugeVec
	notifyRT                                *prometheus.HistogramVec
}

func newRegistryMetrics(reg prometheus.Registerer, o options) (*registryMetrics, error) {
	app := prometheus.Labels{LabelApplication: o.application}
	counter := func(name, help string) prometheus.Counter {
		return prometheus.NewCounter(prometheus.CounterOpts{Name: name, Help: help, ConstLabels: app})
	}
	r := &registryMetrics{
		register:        counter(RegisterRequests, "Total Register Requests"),
		registerOK:      counter(RegisterRequestsSucceed, "Succeed Register Requests"),
		registerFailed:  counter(RegisterRequestsFailed, "Failed Register Requests"),
		subscribe:       counter(SubscribeNum, "Total Subscribe Num"),
		subscribeOK:     counter(SubscribeNumSucceed, "Succeed Subscribe Num"),
		subscribeFailed: counter(SubscribeNumFailed, "Failed Subscribe Num"),
		notifies: prometheus.NewCounterVec(prometheus.CounterOpts{Name: NotifyRequests, Help: "Total Notify Requests", ConstLabels: app},
			[]string{LabelInterface}),
		notifyLast: prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: NotifyNumLast, Help: "Last Notify Nums", ConstLabels: app},
			[]string{LabelInterface}),
		notifyRT: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: NotifyRTMilliseconds, Help: notifyRTHelp,
			ConstLabels: app, Buckets: o.buckets}, []string{LabelInterface}),
	}
	for _, c := range []prometheus.Collector{r.register, r.registerOK, r.registerFailed, r.subscribe, r.subscribeOK,
		r.subscribeFailed, r.notifies, r.notifyLast, r.notifyRT} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// RecordRegister counts one registration of a URL in a registry and its
// outcome.
func (m *Metrics) RecordRegister(err error) {
	m.registry.register.Inc()
	if err != nil {
		m.registry.registerFailed.Inc()
		return
	}
	m.registry.registerOK.Inc()
}

// RecordSubscribe counts one subscription to a registry and its outcome.
func (m *Metrics) RecordSubscribe(err error) {
	m.registry.subscribe.Inc()
	if err != nil {
		m.registry.subscribeFailed.Inc()
		return
	}
	m.registry.subscribeOK.Inc()
}

// RecordNotify records one notification of the subscription to service
// (an interface name): how many URLs it carried and how long the listener
// (a directory) took to apply it.
func (m *Metrics) RecordNotify(service string, urls int, took time.Duration) {
	m.registry.notifies.WithLabelValues(service).Inc()
	m.registry.notifyLast.WithLabelValues(service).Set(float64(urls))
	m.registry.notifyRT.WithLabelValues(service).Observe(float64(took) / float64(time.Millisecond))
}
