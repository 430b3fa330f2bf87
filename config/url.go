package config

import (
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/registry/migration"
)

// Release is the release param fleet's consumer and provider URLs carry.
const Release = "fleet-0.1.0"

// DubboProtocolVersion is the dubbo param: the protocol version every Dubbo
// 2.7/3.x URL carries.
const DubboProtocolVersion = "2.0.2"

// RegistryURL returns the registry's URL: the URL given, or one built from
// dubbo-go's fields — protocol://[user:password@]address?backup=…&timeout=ms
// &group=…&namespace=…&zone=…&weight=…&preferred=true plus params.
func (r *RegistryConfig) RegistryURL() (*common.URL, error) {
	if r.URL != "" {
		u, err := common.Parse(r.URL)
		if err != nil {
			return nil, fmt.Errorf("config: registry %s: %w", r.ID, err)
		}
		return u, nil
	}
	params := map[string]string{}
	addrs := strings.Split(r.Address, ",")
	for i := range addrs {
		addrs[i] = strings.TrimSpace(addrs[i])
	}
	if len(addrs) > 1 {
		params[common.BackupKey] = strings.Join(addrs[1:], ",")
	}
	if ms, _ := millis(r.Timeout); ms > 0 {
		params[common.TimeoutKey] = strconv.FormatInt(ms, 10)
	}
	set := func(k, v string) {
		if v != "" {
			params[k] = v
		}
	}
	set(common.GroupKey, r.Group)
	set("namespace", r.Namespace)
	set("zone", r.Zone)
	set(common.WeightKey, r.Weight)
	set("ttl", r.TTL)
	if r.Preferred {
		params["preferred"] = "true"
	}
	for k, v := range r.Params {
		params[k] = v
	}
	raw := r.Protocol + "://" + addrs[0]
	u, err := common.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("config: registry %s: %w", r.ID, err)
	}
	u = u.WithParams(params)
	if r.Username != "" {
		u = u.WithUserInfo(r.Username, r.Password)
	}
	return u, nil
}

// RegistryURLs returns the URLs of the registries named by ids, or of every
// registry when ids is empty, in id order, each with the application's
// name (application=, unless the URL sets it), so that the registry's disk
// snapshot is the application's own.
func (c *Config) RegistryURLs(ids []string) ([]*common.URL, error) {
	if len(ids) == 0 {
		ids = sortedKeys(c.Registries)
	}
	out := make([]*common.URL, 0, len(ids))
	for _, id := range ids {
		r, ok := c.Registries[id]
		if !ok {
			return nil, fmt.Errorf("config: no registry %q (have %v)", id, sortedKeys(c.Registries))
		}
		u, err := r.RegistryURL()
		if err != nil {
			return nil, err
		}
		if app := strings.TrimSpace(c.Application.Name); app != "" && u.ParamOr(common.ApplicationKey, "") == "" {
			u = u.WithParam(common.ApplicationKey, app) // as Java's loadRegistries: names the disk snapshot
		}
		out = append(out, u)
	}
	return out, nil
}

// ConsumerParams returns the consumer parameters of reference r, as Java
// Dubbo puts them in the refer= of the registry URL: interface, group,
// version, cluster, loadbalance, retries, timeout (milliseconds), sticky,
// check, application, side=consumer, dubbo, release, pid and per-method
// params (sayHello.timeout); explicit params win over all of them. methods
// lists the interface's method names when known (from a proxy struct).
func (c *Config) ConsumerParams(r *ReferenceConfig, methods []string) map[string]string {
	p := map[string]string{
		common.InterfaceKey: r.Interface,
		common.SideKey:      "consumer",
		"dubbo":             DubboProtocolVersion,
		"release":           Release,
		"pid":               strconv.Itoa(os.Getpid()),
	}
	set := func(k, v string) {
		if v = strings.TrimSpace(v); v != "" {
			p[k] = v
		}
	}
	set(common.ApplicationKey, c.Application.Name)
	set(common.GroupKey, r.Group)
	set(common.VersionKey, r.Version)
	set(common.ClusterKey, r.Cluster)
	set(common.LoadbalanceKey, r.Loadbalance)
	set(common.RetriesKey, r.Retries)
	set(common.ProtocolKey, r.Protocol)
	set("serialization", r.Serialization)
	set("generic", r.Generic)
	set("reference.filter", firstNonEmpty(r.Filter, c.Consumer.Filter))
	timeout := firstNonEmpty(r.Timeout, c.Consumer.RequestTimeout)
	if ms, _ := millis(timeout); ms > 0 {
		p[common.TimeoutKey] = strconv.FormatInt(ms, 10)
	}
	if r.Sticky {
		p["sticky"] = "true"
	}
	check := true
	if r.Check != nil {
		check = *r.Check
	} else if c.Consumer.Check != nil {
		check = *c.Consumer.Check
	}
	p[common.CheckKey] = strconv.FormatBool(check)
	if len(methods) > 0 {
		p[common.MethodsKey] = strings.Join(methods, ",")
	}
	for _, m := range r.Methods {
		setMethod(p, m)
	}
	for k, v := range r.Params {
		p[k] = v
	}
	if s := strings.TrimSpace(c.Application.ServiceDiscovery.Migration); s != "" && p[migration.StepKey] == "" {
		p[migration.StepKey] = s // the application's default step, below the reference's own
	}
	return p
}

func setMethod(p map[string]string, m *MethodConfig) {
	set := func(k, v string) {
		if v = strings.TrimSpace(v); v != "" {
			p[m.Name+"."+k] = v
		}
	}
	set(common.RetriesKey, m.Retries)
	set(common.LoadbalanceKey, m.Loadbalance)
	set(common.WeightKey, m.Weight)
	if ms, _ := millis(m.Timeout); ms > 0 {
		p[m.Name+"."+common.TimeoutKey] = strconv.FormatInt(ms, 10)
	}
	if m.Sticky {
		p[m.Name+".sticky"] = "true"
	}
}

func firstNonEmpty(vs ...string) string {
	for _, v := range vs {
		if strings.TrimSpace(v) != "" {
			return v
		}
	}
	return ""
}
