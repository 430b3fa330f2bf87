package config

import (
	"context"

	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/metrics"
	"github.com/fleetrpc/fleet/protocol"
	"github.com/fleetrpc/fleet/registry"
)

// setMetricSources gives the metrics what they read at scrape time: the
// registries the runtime opened (registry.Stats), the connections of the
// registered protocols that count them (protocol/dubbo's, shared by every
// runtime of the process) and the rules in force in the references'
// directories.
func (rt *Runtime) setMetricSources() {
	rt.metrics.SetRegistrySource(rt.registryStates)
	rt.metrics.SetConnectionSource(connectionStates)
	rt.metrics.SetRuleSource(rt.ruleStates)
	rt.metrics.SetConfigCenterSource(rt.configCenterStates)
	rt.metrics.SetOutlierSource(rt.outlierStates)
}

// outlierStates counts, per reference, the providers outlier ejection
// keeps away (cluster.Outliers over each of its registries' clusters).
func (rt *Runtime) outlierStates() []metrics.OutlierState {
	var out []metrics.OutlierState
	for _, ref := range rt.References() {
		states := outlierStates(ref.Invoker())
		if len(states) == 0 {
			continue
		}
		u := ref.Invoker().URL()
		st := metrics.OutlierState{Interface: u.ParamOr(common.InterfaceKey, u.Path()),
			Group: u.ParamOr(common.GroupKey, ""), Version: u.ParamOr(common.VersionKey, "")}
		for _, state := range states {
			switch state {
			case "ejected":
				st.Ejected++
			case "probing":
				st.Probing++
			}
		}
		out = append(out, st)
	}
	return out
}

// configCenterStates reads whether each config center the registry
// protocol reads rules from has a session and how many it lost, those
// that say (configcenter/zookeeper's Connected and SessionExpiries).
func (rt *Runtime) configCenterStates() []metrics.ConfigCenterState {
	var out []metrics.ConfigCenterState
	for _, cc := range rt.reg.ConfigCenters() {
		c, ok := cc.(interface{ Connected() bool })
		if !ok {
			continue
		}
		u := cc.URL()
		st := metrics.ConfigCenterState{ConfigCenter: u.Protocol() + "://" + u.Address(), Connected: c.Connected()}
		if e, ok := cc.(interface{ SessionExpiries() uint64 }); ok {
			st.Session, st.SessionExpiries = true, e.SessionExpiries()
		}
		out = append(out, st)
	}
	return out
}

// registryStates reads the Stats of the registries the runtime opened,
// those that report them.
func (rt *Runtime) registryStates() []metrics.RegistryState {
	rt.mu.Lock()
	regs := append([]*trackedRegistry(nil), rt.registries...)
	rt.mu.Unlock()
	var out []metrics.RegistryState
	for _, t := range regs {
		st, ok := registry.ReadStats(t.Registry)
		if !ok {
			continue
		}
		out = append(out, metrics.RegistryState{Registry: t.opened.Protocol() + "://" + t.opened.Address(),
			Session: st.Session, Connected: st.Connected, SessionExpiries: st.SessionExpiries, Pending: st.Pending})
	}
	return out
}

// connectionCounter is a protocol that counts its connections per provider
// address (protocol/dubbo's ConnectionCounts).
type connectionCounter interface {
	ConnectionCounts() (open, held map[string]int)
}

// connectionStates reads the connections of every registered protocol
// that counts them.
func connectionStates() []metrics.ConnectionState {
	var out []metrics.ConnectionState
	for _, name := range protocol.Protocols() {
		p, err := protocol.Get(name)
		if err != nil {
			continue
		}
		c, ok := p.(connectionCounter)
		if !ok {
			continue
		}
		open, held := c.ConnectionCounts()
		for addr, n := range held {
			out = append(out, metrics.ConnectionState{Address: addr, Held: n, Open: open[addr]})
		}
	}
	return out
}

// ruleStates counts the rules in force in each running directory of the
// runtime's references.
func (rt *Runtime) ruleStates() []metrics.RuleState {
	var out []metrics.RuleState
	for _, ref := range rt.References() {
		for _, d := range callDirectories(context.Background(), ref.Invoker()) {
			cs, rs := d.Rules()
			u := d.ConsumerURL()
			out = append(out, metrics.RuleState{Interface: u.ParamOr(common.InterfaceKey, u.Path()),
				Group: u.ParamOr(common.GroupKey, ""), Version: u.ParamOr(common.VersionKey, ""),
				Routers: len(rs), Configurators: len(cs)})
		}
	}
	return out
}
