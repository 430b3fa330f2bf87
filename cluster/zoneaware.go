package cluster

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strings"

	"github.com/fleetrpc/fleet/cluster/loadbalance"
	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/directory"
	"github.com/fleetrpc/fleet/protocol"
)

// ZoneAwareName is the name of the zone-aware strategy.
const ZoneAwareName = "zone-aware"

// Zone-aware keys: attachments of the call and params of a registry URL.
const (
	// ZoneAttachment is the call attachment naming the consumer's zone.
	ZoneAttachment = "registry_zone"
	// ZoneForceAttachment, "true", makes a call fail rather than leave its
	// zone.
	ZoneForceAttachment = "registry_zone_force"
	// PreferredKey marks the preferred registry (3.x); RegistryPreferredKey
	// is its 2.7 form.
	PreferredKey         = "preferred"
	RegistryPreferredKey = "registry.preferred"
	// ZoneKey is a registry's zone; RegistryZoneKey its prefixed form.
	ZoneKey         = "zone"
	RegistryZoneKey = "registry.zone"
)

func init() { Register(ZoneAwareName, &ZoneAware{}) }

// ZoneAware chooses among the cluster invokers of several registries (its
// candidates; each may implement RegistryURLer, else its URL is read) by
// zone (cluster.md §3):
//
//  1. the first available one whose registry is preferred (preferred=true
//     or registry.preferred=true);
//  2. with a zone — the call's registry_zone attachment, else ZoneDetector
//     — the first available one whose registry zone (zone or
//     registry.zone) equals it; none and registry_zone_force=true fails:
//     "No registry instance in zone or no available providers in the
//     registry, zone: <zone>, registries: <urls>";
//  3. a weighted random pick among the registries (their weight param,
//     default 100), if available;
//  4. the first available one; none fails with "No provider available in
//     <candidates>".
type ZoneAware struct {
	// ZoneDetector names the consumer's zone for calls without the
	// registry_zone attachment; nil means none.
	ZoneDetector func(ctx context.Context, inv protocol.Invocation) string
	// Intn returns a number in [0, n) for step 3; nil means math/rand/v2.
	Intn func(n int) int
	// Stats receives every attempt; nil means loadbalance.DefaultStats().
	Stats *loadbalance.Stats
	// Logger logs; nil means slog.Default().
	Logger *slog.Logger
}

// Join implements Cluster.
func (z *ZoneAware) Join(dir directory.Directory) protocol.Invoker {
	return &zoneAwareInvoker{base: newBase(dir, nil, z.Stats, z.Logger, ZoneAwareName), cfg: z}
}

type zoneAwareInvoker struct {
	*base
	cfg *ZoneAware
}

func (z *zoneAwareInvoker) Invoke(ctx context.Context, inv protocol.Invocation) protocol.Result {
	return z.invoke(ctx, inv, z.doInvoke)
}

func registryURL(iv protocol.Invoker) *common.URL {
	if r, ok := iv.(RegistryURLer); ok {
		if u := r.RegistryURL(); u != nil {
			return u
		}
	}
	return iv.URL()
}

func (z *zoneAwareInvoker) doInvoke(ctx context.Context, inv protocol.Invocation, candidates []protocol.Invoker, _ loadbalance.LoadBalance) protocol.Result {
	for _, iv := range candidates {
		u := registryURL(iv)
		if (u.ParamBool(PreferredKey, false) || u.ParamBool(RegistryPreferredKey, false)) && iv.IsAvailable() {
			return z.call(ctx, iv, inv)
		}
	}
	zone := protocol.StringAttachment(inv, ZoneAttachment)
	if zone == "" && z.cfg.ZoneDetector != nil {
		zone = z.cfg.ZoneDetector(ctx, inv)
	}
	if zone != "" {
		for _, iv := range candidates {
			u := registryURL(iv)
			if (u.ParamOr(ZoneKey, "") == zone || u.ParamOr(RegistryZoneKey, "") == zone) && iv.IsAvailable() {
				return z.call(ctx, iv, inv)
			}
		}
		if strings.EqualFold(protocol.StringAttachment(inv, ZoneForceAttachment), "true") {
			urls := make([]string, len(candidates))
			for i, iv := range candidates {
				urls[i] = registryURL(iv).String()
			}
			return protocol.ErrorResult(protocol.NewError(protocol.KindNoProvider, z.dir.URL().ServiceKey(), protocol.RealMethodName(inv), "",
				fmt.Sprintf("No registry instance in zone or no available providers in the registry, zone: %s, registries: [%s]", zone, strings.Join(urls, ", ")), nil))
		}
	}
	if p := z.weighted(candidates); p != nil && p.IsAvailable() {
		return z.call(ctx, p, inv)
	}
	for _, iv := range candidates {
		if iv.IsAvailable() {
			return z.call(ctx, iv, inv)
		}
	}
	return protocol.ErrorResult(z.noProviderIn(candidates, inv))
}

// weighted picks a candidate at random in proportion to its registry's
// weight param (default 100).
func (z *zoneAwareInvoker) weighted(candidates []protocol.Invoker) protocol.Invoker {
	total := 0
	for _, iv := range candidates {
		total += registryWeight(iv)
	}
	if total <= 0 {
		return nil
	}
	var offset int
	if z.cfg.Intn != nil {
		offset = z.cfg.Intn(total)
	} else {
		offset = rand.IntN(total)
	}
	for _, iv := range candidates {
		if offset -= registryWeight(iv); offset < 0 {
			return iv
		}
	}
	return nil
}

func registryWeight(iv protocol.Invoker) int {
	w, _ := registryURL(iv).ParamNonNegativeInt(common.WeightKey, common.DefaultWeight)
	return w
}
