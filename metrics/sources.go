package metrics

import (
	"sort"
	"strings"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
)

// Metric names of the state read at scrape time from the sources a
// program (package config) sets. Java Dubbo has no names for these; they
// follow its dubbo_<subject>_ pattern.
const (
	RegistryConnected       = "dubbo_registry_connected"
	RegistrySessionExpiries = "dubbo_registry_session_expiries_total"
	RegistryFailbackQueue   = "dubbo_registry_failback_queue_length"
	ConsumerConnections     = "dubbo_consumer_connections"
	ConsumerConnectionsHeld = "dubbo_consumer_connections_held"
	DirectoryRules          = "dubbo_registry_directory_rules"
	ConfigCenterConnected   = "dubbo_configcenter_connected"
	ConfigCenterExpiries    = "dubbo_configcenter_session_expiries_total"
	ConsumerOutliers        = "dubbo_consumer_outlier_providers"

	LabelRegistry = "registry"     // scheme://address of a registry client
	LabelAddress  = "address"      // host:port of a provider
	LabelKind     = "kind"         // router or configurator
	LabelCenter   = "configcenter" // scheme://address of a config center
	LabelState    = "state"        // an outlier provider's state: ejected or probing
)

// Rule kinds of DirectoryRules.
const (
	KindRouter       = "router"
	KindConfigurator = "configurator"
)

// RegistryState is one registry client's state, as a registry source
// reports it at scrape time.
type RegistryState struct {
	Registry string // scheme://address, the registry label
	// Session is true for a client that keeps a session (ZooKeeper): only
	// then are Connected and SessionExpiries exported.
	Session         bool
	Connected       bool
	SessionExpiries uint64
	Pending         int // operations waiting for a retry (failback queue)
}

// ConnectionState is the connections to one provider address.
type ConnectionState struct {
	Address string
	Held    int // connections held for the address, whatever their state
	Open    int // of those, up
}

// RuleState is the rules in force in one directory of a service.
type RuleState struct {
	Interface, Group, Version string
	Routers                   int // route rules: the registry's and the config center's (built-ins not counted)
	Configurators             int // override rules: the registry's and the config center's
}

// ConfigCenterState is one config center's state, as a config-center
// source reports it at scrape time.
type ConfigCenterState struct {
	ConfigCenter string // scheme://address, the configcenter label
	Connected    bool
	// SessionExpiries is exported for a config center that keeps a
	// session (ZooKeeper) and counts them: Session true.
	Session         bool
	SessionExpiries uint64
}

// OutlierState is the providers outlier ejection keeps away from one
// reference of a service (cluster.Outliers), by state.
type OutlierState struct {
	Interface, Group, Version string
	Ejected, Probing          int
}

// sources is the collector of the state read from callbacks at scrape
// time: nothing is recorded between scrapes.
type sources struct {
	opts                                options
	connected, expiries, failback       *prometheus.Desc
	connections, connectionsHeld, rules *prometheus.Desc
	centerConnected, centerExpiries     *prometheus.Desc
	outliers                            *prometheus.Desc

	registries atomic.Pointer[func() []RegistryState]
	connStates atomic.Pointer[func() []ConnectionState]
	ruleStates atomic.Pointer[func() []RuleState]
	centers    atomic.Pointer[func() []ConfigCenterState]
	outlierSt  atomic.Pointer[func() []OutlierState]
}

func newSources(o options) *sources {
	app := prometheus.Labels{LabelApplication: o.application}
	return &sources{
		opts: o,
		connected: prometheus.NewDesc(RegistryConnected, "Whether the registry client has a session (1) or not (0)",
			[]string{LabelRegistry}, app),
		expiries: prometheus.NewDesc(RegistrySessionExpiries, "Registry sessions expired and replaced by a new one",
			[]string{LabelRegistry}, app),
		failback: prometheus.NewDesc(RegistryFailbackQueue, "Registry operations waiting for a retry",
			[]string{LabelRegistry}, app),
		connections: prometheus.NewDesc(ConsumerConnections, "Connections up to a provider address",
			[]string{LabelAddress}, app),
		connectionsHeld: prometheus.NewDesc(ConsumerConnectionsHeld, "Connections held for a provider address, up or not",
			[]string{LabelAddress}, app),
		centerConnected: prometheus.NewDesc(ConfigCenterConnected, "Whether the config center client has a session (1) or not (0)",
			[]string{LabelCenter}, app),
		centerExpiries: prometheus.NewDesc(ConfigCenterExpiries, "Config center sessions expired and replaced by a new one",
			[]string{LabelCenter}, app),
		rules: prometheus.NewDesc(DirectoryRules, "Rules in force in the directories of a service (registry and config center; built-in routers not counted)",
			append(directoryLabels[:len(directoryLabels):len(directoryLabels)], LabelKind), nil),
		outliers: prometheus.NewDesc(ConsumerOutliers, "Providers outlier ejection keeps away from a service's references, by state (ejected, probing)",
			append(directoryLabels[:len(directoryLabels):len(directoryLabels)], LabelState), nil),
	}
}

// SetRegistrySource makes the registry gauges read f at each scrape
// (dubbo_registry_connected, dubbo_registry_session_expiries_total,
// dubbo_registry_failback_queue_length). States of one registry label are
// summed (connected: 1 only when every one is).
func (m *Metrics) SetRegistrySource(f func() []RegistryState) { m.sources.registries.Store(&f) }

// SetConnectionSource makes the connection gauges read f at each scrape
// (dubbo_consumer_connections, dubbo_consumer_connections_held), summed
// per address.
func (m *Metrics) SetConnectionSource(f func() []ConnectionState) { m.sources.connStates.Store(&f) }

// SetRuleSource makes the rules gauge read f at each scrape
// (dubbo_registry_directory_rules by kind), summed per service.
func (m *Metrics) SetRuleSource(f func() []RuleState) { m.sources.ruleStates.Store(&f) }

// SetOutlierSource makes dubbo_consumer_outlier_providers read f at each
// scrape, summed per service.
func (m *Metrics) SetOutlierSource(f func() []OutlierState) { m.sources.outlierSt.Store(&f) }

// SetConfigCenterSource makes dubbo_configcenter_connected and
// dubbo_configcenter_session_expiries_total read f at each scrape
// (connected: 1 only when every state of one label is; expiries summed).
func (m *Metrics) SetConfigCenterSource(f func() []ConfigCenterState) { m.sources.centers.Store(&f) }

// Describe implements prometheus.Collector.
func (s *sources) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{s.connected, s.expiries, s.failback, s.connections, s.connectionsHeld, s.rules, s.centerConnected, s.centerExpiries, s.outliers} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (s *sources) Collect(ch chan<- prometheus.Metric) {
	if f := s.registries.Load(); f != nil {
		s.collectRegistries(ch, (*f)())
	}
	if f := s.connStates.Load(); f != nil {
		s.collectConnections(ch, (*f)())
	}
	if f := s.ruleStates.Load(); f != nil {
		s.collectRules(ch, (*f)())
	}
	if f := s.centers.Load(); f != nil {
		s.collectCenters(ch, (*f)())
	}
	if f := s.outlierSt.Load(); f != nil {
		s.collectOutliers(ch, (*f)())
	}
}

func (s *sources) collectCenters(ch chan<- prometheus.Metric, states []ConfigCenterState) {
	by := map[string]bool{}
	expiries := map[string]uint64{}
	for _, st := range states {
		up, seen := by[st.ConfigCenter]
		by[st.ConfigCenter] = st.Connected && (up || !seen)
		if st.Session {
			expiries[st.ConfigCenter] += st.SessionExpiries
		}
	}
	for _, name := range sortedNames(by) {
		v := 0.0
		if by[name] {
			v = 1
		}
		ch <- prometheus.MustNewConstMetric(s.centerConnected, prometheus.GaugeValue, v, name)
		if n, ok := expiries[name]; ok {
			ch <- prometheus.MustNewConstMetric(s.centerExpiries, prometheus.CounterValue, float64(n), name)
		}
	}
}

func (s *sources) collectRegistries(ch chan<- prometheus.Metric, states []RegistryState) {
	type agg struct {
		session, connected bool
		expiries           uint64
		pending            int
	}
	by := map[string]*agg{}
	for _, st := range states {
		a := by[st.Registry]
		if a == nil {
			a = &agg{connected: true}
			by[st.Registry] = a
		}
		a.session = a.session || st.Session
		a.connected = a.connected && (st.Connected || !st.Session)
		a.expiries += st.SessionExpiries
		a.pending += st.Pending
	}
	for _, name := range sortedNames(by) {
		a := by[name]
		if a.session {
			connected := 0.0
			if a.connected {
				connected = 1
			}
			ch <- prometheus.MustNewConstMetric(s.connected, prometheus.GaugeValue, connected, name)
			ch <- prometheus.MustNewConstMetric(s.expiries, prometheus.CounterValue, float64(a.expiries), name)
		}
		ch <- prometheus.MustNewConstMetric(s.failback, prometheus.GaugeValue, float64(a.pending), name)
	}
}

func (s *sources) collectConnections(ch chan<- prometheus.Metric, states []ConnectionState) {
	by := map[string]*ConnectionState{}
	for _, st := range states {
		a := by[st.Address]
		if a == nil {
			a = &ConnectionState{Address: st.Address}
			by[st.Address] = a
		}
		a.Held += st.Held
		a.Open += st.Open
	}
	for _, addr := range sortedNames(by) {
		a := by[addr]
		ch <- prometheus.MustNewConstMetric(s.connections, prometheus.GaugeValue, float64(a.Open), addr)
		ch <- prometheus.MustNewConstMetric(s.connectionsHeld, prometheus.GaugeValue, float64(a.Held), addr)
	}
}

func (s *sources) collectRules(ch chan<- prometheus.Metric, states []RuleState) {
	counts := make([]serviceCounts, len(states))
	for i, st := range states {
		counts[i] = serviceCounts{st.Interface, st.Group, st.Version, st.Routers, st.Configurators}
	}
	s.collectByService(ch, s.rules, KindRouter, KindConfigurator, counts)
}

func (s *sources) collectOutliers(ch chan<- prometheus.Metric, states []OutlierState) {
	counts := make([]serviceCounts, len(states))
	for i, st := range states {
		counts[i] = serviceCounts{st.Interface, st.Group, st.Version, st.Ejected, st.Probing}
	}
	s.collectByService(ch, s.outliers, "ejected", "probing", counts)
}

// serviceCounts is two counts of one service (interface, group, version).
type serviceCounts struct {
	iface, group, version string
	a, b                  int
}

// collectByService sums counts per service and exports each sum as a
// gauge of d, a labelled labelA and b labelled labelB (d's last label).
func (s *sources) collectByService(ch chan<- prometheus.Metric, d *prometheus.Desc, labelA, labelB string, counts []serviceCounts) {
	by := map[string]*serviceCounts{}
	for _, c := range counts {
		key := strings.Join([]string{c.iface, c.group, c.version}, "\x00")
		if sum := by[key]; sum != nil {
			sum.a += c.a
			sum.b += c.b
		} else {
			by[key] = &c
		}
	}
	for _, key := range sortedNames(by) {
		c := by[key]
		labels := []string{s.opts.application, s.opts.hostname, s.opts.ip, c.iface, c.group, c.version}
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, float64(c.a), append(labels, labelA)...)
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, float64(c.b), append(labels, labelB)...)
	}
}

func sortedNames[V any](m map[string]V) []string {
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}
