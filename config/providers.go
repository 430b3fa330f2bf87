package config

import (
	"sort"
	"sync"

	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/protocol"
)

// ProviderState is one provider a reference's directory holds, as the
// admin endpoint lists it.
type ProviderState struct {
	Address   string `json:"address"`
	URL       string `json:"url"`               // merged with the consumer's params and the configurators
	Available bool   `json:"available"`         // a call has a chance now (connected)
	Outlier   string `json:"outlier,omitempty"` // ejected or probing: outlier ejection keeps calls away (cluster.Outliers)
}

// providerSet holds the provider invokers the runtime's references refer,
// until they are destroyed.
type providerSet struct {
	mu   sync.Mutex // guards live
	live map[*liveProvider]struct{}
}

// liveProvider is a provider invoker counted in a providerSet.
type liveProvider struct {
	protocol.Invoker
	set *providerSet // immutable
}

// Destroy implements protocol.Invoker: the provider leaves the set.
func (l *liveProvider) Destroy() {
	l.set.mu.Lock()
	delete(l.set.live, l)
	l.set.mu.Unlock()
	l.Invoker.Destroy()
}

func (s *providerSet) track(inv protocol.Invoker) protocol.Invoker {
	l := &liveProvider{Invoker: inv, set: s}
	s.mu.Lock()
	if s.live == nil {
		s.live = map[*liveProvider]struct{}{}
	}
	s.live[l] = struct{}{}
	s.mu.Unlock()
	return l
}

// Providers lists the providers the directories of the runtime hold for
// ref: those referred for a consumer URL like ref's (common.IsMatch), with
// their state, sorted by address.
func (rt *Runtime) Providers(ref *Reference) []ProviderState {
	consumer := ref.Invoker().URL()
	rt.providers.mu.Lock()
	list := make([]protocol.Invoker, 0, len(rt.providers.live))
	for l := range rt.providers.live {
		list = append(list, l.Invoker)
	}
	rt.providers.mu.Unlock()
	outliers := outlierStates(ref.Invoker())
	out := []ProviderState{}
	for _, inv := range list {
		u := inv.URL()
		if !matchesReference(consumer, u) {
			continue
		}
		out = append(out, ProviderState{Address: u.Address(), URL: u.String(), Available: inv.IsAvailable(),
			Outlier: outliers[u.Address()]})
	}
	sort.Slice(out, func(i, j int) bool {
		return out[i].Address < out[j].Address || (out[i].Address == out[j].Address && out[i].URL < out[j].URL)
	})
	return out
}

// matchesReference reports whether provider (a merged URL) belongs to the
// reference whose consumer URL is consumer.
func matchesReference(consumer, provider *common.URL) bool {
	return common.IsMatch(consumer.WithoutParams(common.CategoryKey), provider.WithoutParams(common.CategoryKey))
}
