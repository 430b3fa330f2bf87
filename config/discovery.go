package config

import (
	"fmt"
	"strings"

	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/registry/migration"
	regprotocol "github.com/fleetrpc/fleet/registry/protocol"
)

// Registry types (dubbo-go's registry-type) and register modes (Java's
// dubbo.application.register-mode).
const (
	RegistryTypeInterface = "interface" // interface-level only
	RegistryTypeService   = "service"   // application-level only
	RegistryTypeAll       = "all"       // both: references migrate, exports follow register-mode

	RegisterModeInterface = "interface"
	RegisterModeInstance  = "instance"
	RegisterModeAll       = "all"
)

// DefaultRegisterMode is fleet's register-mode. Java Dubbo 3 registers
// both levels by default (all); fleet keeps registering interface-level
// only, as it always has, so that upgrading fleet writes nothing new into
// a registry that Java 2.x consumers and tools share: application-level
// registration is asked for with register-mode instance or all.
const DefaultRegisterMode = RegisterModeInterface

// registryType is the registry's registry-type, lower-cased; "" when unset.
func (r *RegistryConfig) registryType() string {
	t := strings.ToLower(strings.TrimSpace(r.RegistryType))
	if t == "" && r.URL != "" {
		if u, err := common.Parse(r.URL); err == nil {
			t = strings.ToLower(u.ParamOr(regprotocol.RegistryTypeKey, ""))
		}
	}
	return t
}

// registerMode is the application's register-mode, lower-cased, defaulted.
func (c *Config) registerMode() string {
	if m := strings.ToLower(strings.TrimSpace(c.Application.RegisterMode)); m != "" {
		return m
	}
	return DefaultRegisterMode
}

// applicationLevel is the application-level URL of an interface-level
// registry URL: service-discovery-registry://<address>?registry=<scheme>&<params>.
func applicationLevel(u *common.URL) *common.URL {
	scheme := u.Protocol()
	if scheme == regprotocol.RegistryScheme {
		scheme = u.ParamOr("registry", common.DubboProtocol)
	}
	if scheme == regprotocol.ServiceDiscoveryScheme {
		return u
	}
	return u.WithProtocol(regprotocol.ServiceDiscoveryScheme).WithoutParams(regprotocol.RegistryTypeKey).
		WithParam("registry", scheme)
}

// ReferRegistryURLs returns the registry URLs a reference refers through,
// for the registries named by ids (every registry when empty), in id
// order: by registry-type, interface → the registry's URL with
// registry-type=interface (interface-level only, no migration); service →
// its application-level URL (service-discovery-registry://…, FORCE_APPLICATION);
// all or unset → its URL, which registry/protocol migrates between both
// levels (APPLICATION_FIRST unless a step is set).
func (c *Config) ReferRegistryURLs(ids []string) ([]*common.URL, error) {
	urls, err := c.RegistryURLs(ids)
	if err != nil {
		return nil, err
	}
	regs := c.registriesOf(ids)
	out := make([]*common.URL, 0, len(urls))
	for i, u := range urls {
		switch regs[i].registryType() {
		case RegistryTypeInterface:
			u = u.WithParam(regprotocol.RegistryTypeKey, RegistryTypeInterface)
		case RegistryTypeService:
			u = applicationLevel(u)
		}
		out = append(out, u)
	}
	return out, nil
}

// ExportRegistryURLs returns, per registry named by ids (every registry
// when empty), in id order, the registry URLs an export registers in: by
// registry-type, interface → the registry's URL; service → its
// application-level URL; all or unset → by the application's
// register-mode: interface (the default) → the URL, instance → the
// application-level URL, all → both.
func (c *Config) ExportRegistryURLs(ids []string) ([][]*common.URL, error) {
	urls, err := c.RegistryURLs(ids)
	if err != nil {
		return nil, err
	}
	regs := c.registriesOf(ids)
	mode := c.registerMode()
	out := make([][]*common.URL, 0, len(urls))
	for i, u := range urls {
		u = u.WithoutParams(regprotocol.RegistryTypeKey)
		switch t := regs[i].registryType(); {
		case u.Protocol() == regprotocol.ServiceDiscoveryScheme: // given as the application-level URL
			out = append(out, []*common.URL{u})
		case t == RegistryTypeInterface:
			out = append(out, []*common.URL{u})
		case t == RegistryTypeService || mode == RegisterModeInstance:
			out = append(out, []*common.URL{applicationLevel(u)})
		case mode == RegisterModeAll:
			out = append(out, []*common.URL{u, applicationLevel(u)})
		default:
			out = append(out, []*common.URL{u})
		}
	}
	return out, nil
}

// registriesOf returns the registries ids names (every one when empty),
// in RegistryURLs' order; call it after RegistryURLs succeeded.
func (c *Config) registriesOf(ids []string) []*RegistryConfig {
	if len(ids) == 0 {
		ids = sortedKeys(c.Registries)
	}
	out := make([]*RegistryConfig, 0, len(ids))
	for _, id := range ids {
		out = append(out, c.Registries[id])
	}
	return out
}

// validateDiscovery checks register-mode, the application's migration
// step and each reference's migration.step param.
func (c *Config) validateDiscovery() error {
	switch m := strings.ToLower(strings.TrimSpace(c.Application.RegisterMode)); m {
	case "", RegisterModeInterface, RegisterModeInstance, RegisterModeAll:
	default:
		return invalid("dubbo.application.register-mode", c.Application.RegisterMode,
			"is not a register mode (interface, instance, all)")
	}
	if s := strings.TrimSpace(c.Application.ServiceDiscovery.Migration); s != "" {
		if _, err := migration.ParseStep(s); err != nil {
			return invalid("dubbo.application.service-discovery.migration", s,
				"is not a migration step (FORCE_INTERFACE, APPLICATION_FIRST, FORCE_APPLICATION)")
		}
	}
	for _, name := range sortedKeys(c.Consumer.References) {
		if s, ok := c.Consumer.References[name].Params[migration.StepKey]; ok {
			if _, err := migration.ParseStep(s); err != nil {
				return invalid(fmt.Sprintf("dubbo.consumer.references.%s.params.%s", name, migration.StepKey), s,
					"is not a migration step (FORCE_INTERFACE, APPLICATION_FIRST, FORCE_APPLICATION)")
			}
		}
	}
	return nil
}

// validateRegistryType checks a registry's registry-type.
func (r *RegistryConfig) validateRegistryType(key string) error {
	switch r.registryType() {
	case "", RegistryTypeInterface, RegistryTypeService, RegistryTypeAll:
		return nil
	}
	v := r.RegistryType
	if v == "" {
		v = r.registryType()
		key += " (url param registry-type)"
	} else {
		key += ".registry-type"
	}
	return invalid(key, v, "is not a registry type (interface, service, all)")
}
