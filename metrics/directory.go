package metrics

import (
	"sync"

	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/protocol"
	"github.com/prometheus/client_golang/prometheus"
)

// Directory metric names, Java Dubbo's directory MetricsKeys.
const (
	DirectoryAll         = "dubbo_registry_directory_num_all"
	DirectoryValid       = "dubbo_registry_directory_num_valid_total"
	DirectoryToReconnect = "dubbo_registry_directory_num_to_reconnect_total"
)

var directoryLabels = []string{LabelApplication, LabelHostname, LabelIP, LabelInterface, LabelGroup, LabelVersion}

// providers counts the provider invokers the directories hold, per
// service: the invokers TrackProvider wrapped and not yet destroyed. It is
// a prometheus.Collector reading their state at scrape time.
type providers struct {
	opts                    options
	all, valid, toReconnect *prometheus.Desc

	mu   sync.Mutex // guards live
	live map[*tracked]struct{}
}

func newProviders(o options) *providers {
	return &providers{
		opts:        o,
		all:         prometheus.NewDesc(DirectoryAll, "All Directory Urls", directoryLabels, nil),
		valid:       prometheus.NewDesc(DirectoryValid, "Valid Directory Urls", directoryLabels, nil),
		toReconnect: prometheus.NewDesc(DirectoryToReconnect, "ToReconnect Directory Urls", directoryLabels, nil),
		live:        map[*tracked]struct{}{},
	}
}

// Describe implements prometheus.Collector.
func (p *providers) Describe(ch chan<- *prometheus.Desc) {
	ch <- p.all
	ch <- p.valid
	ch <- p.toReconnect
}

// Collect implements prometheus.Collector: per service, the providers
// held, those available and those not (waiting for a connection).
func (p *providers) Collect(ch chan<- prometheus.Metric) {
	type count struct {
		labels     []string
		all, valid int
	}
	counts := map[string]*count{}
	p.mu.Lock()
	list := make([]*tracked, 0, len(p.live))
	for t := range p.live {
		list = append(list, t)
	}
	p.mu.Unlock()
	for _, t := range list {
		c := counts[t.key]
		if c == nil {
			c = &count{labels: t.labels}
			counts[t.key] = c
		}
		c.all++
		if t.IsAvailable() {
			c.valid++
		}
	}
	for _, c := range counts {
		ch <- prometheus.MustNewConstMetric(p.all, prometheus.GaugeValue, float64(c.all), c.labels...)
		ch <- prometheus.MustNewConstMetric(p.valid, prometheus.GaugeValue, float64(c.valid), c.labels...)
		ch <- prometheus.MustNewConstMetric(p.toReconnect, prometheus.GaugeValue, float64(c.all-c.valid), c.labels...)
	}
}

// TrackProvider returns inv counted among the providers of its service
// (the directory gauges) until its Destroy. Use it on the invokers a
// protocol refers for directories (package config does when metrics are
// on); calls pass straight through.
func (m *Metrics) TrackProvider(inv protocol.Invoker) protocol.Invoker {
	u := inv.URL()
	labels := []string{
		u.ParamOr(common.ApplicationKey, m.providers.opts.application), m.providers.opts.hostname, m.providers.opts.ip,
		u.ParamOr(common.InterfaceKey, u.Path()), u.ParamOr(common.GroupKey, ""), u.ParamOr(common.VersionKey, ""),
	}
	t := &tracked{Invoker: inv, p: m.providers, key: u.ServiceKey(), labels: labels}
	m.providers.mu.Lock()
	m.providers.live[t] = struct{}{}
	m.providers.mu.Unlock()
	return t
}

// tracked is a provider invoker the directory gauges count.
type tracked struct {
	protocol.Invoker
	p      *providers // immutable
	key    string     // the service key; immutable
	labels []string   // immutable
}

// Destroy implements protocol.Invoker: the provider stops counting.
func (t *tracked) Destroy() {
	t.p.mu.Lock()
	delete(t.p.live, t)
	t.p.mu.Unlock()
	t.Invoker.Destroy()
}
