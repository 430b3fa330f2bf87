package config

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/directory"
	"github.com/fleetrpc/fleet/protocol"
	regprotocol "github.com/fleetrpc/fleet/registry/protocol"
	"github.com/fleetrpc/fleet/router"
	"github.com/fleetrpc/fleet/router/tag"
)

// Snapshot is what a reference's directory holds, as the admin endpoint
// shows it: per registry, the providers (as registered and as merged with
// the consumer's params and the configurators), the rules, and which rule
// removed which provider for a call of Method (router.Explain). Directories
// is the running directories themselves, with every rule in force (a
// config center's included) and the outlier state of their providers;
// Views is each registry read afresh.
type Snapshot struct {
	Reference   string          `json:"reference"`
	Consumer    string          `json:"consumer"`
	Method      string          `json:"method,omitempty"`
	Available   bool            `json:"available"`   // the reference's invoker
	Live        []ProviderState `json:"live"`        // the providers the running directory holds now (Providers)
	Directories []SnapshotView  `json:"directories"` // the running directories, one per registry
	Views       []SnapshotView  `json:"registries"`
}

// SnapshotView is one registry's part of a Snapshot (or the direct URLs of
// a reference with url set, Registry empty).
type SnapshotView struct {
	Registry      string             `json:"registry,omitempty"`
	Providers     []SnapshotProvider `json:"providers"`
	Configurators []string           `json:"configurators,omitempty"`
	Rules         []string           `json:"rules,omitempty"` // route:// URLs of the registry
	Steps         []SnapshotStep     `json:"steps,omitempty"`
	Reached       []string           `json:"reached"` // addresses a call reaches
	Explanation   string             `json:"explanation,omitempty"`
	Outliers      []SnapshotOutlier  `json:"outliers,omitempty"` // a running directory's providers the cluster has called with outlier ejection on
	Error         string             `json:"error,omitempty"`
}

// SnapshotOutlier is one provider's outlier state (cluster.Outliers).
type SnapshotOutlier struct {
	Address             string    `json:"address"`
	State               string    `json:"state"` // serving, ejected or probing
	Until               time.Time `json:"until,omitzero"`
	Ejections           int       `json:"ejections"`
	ConsecutiveFailures int       `json:"consecutiveFailures"`
}

// SnapshotProvider is one provider of a view.
type SnapshotProvider struct {
	Address    string `json:"address"`
	Registered string `json:"registered,omitempty"` // the URL in the registry
	Merged     string `json:"merged"`               // after mergeUrl and configurators
	Reached    bool   `json:"reached"`
	RemovedBy  string `json:"removedBy,omitempty"` // the rule that removed it
	Outlier    string `json:"outlier,omitempty"`   // ejected or probing: outlier ejection keeps calls away
}

// SnapshotStep is one router's step of the explanation.
type SnapshotStep struct {
	Rule     string   `json:"rule"`
	Priority int      `json:"priority"`
	In       int      `json:"in"`
	Out      int      `json:"out"`
	Removed  []string `json:"removed,omitempty"`
	Note     string   `json:"note,omitempty"`
	Error    string   `json:"error,omitempty"`
	Skipped  bool     `json:"skipped,omitempty"`
}

// ErrNotReferred is returned by Snapshot for a reference the runtime has
// not referred.
var ErrNotReferred = errors.New("config: reference not referred")

// Snapshot lists the providers the running directory of the referred
// reference name holds (Live); explains a call of method over each running
// directory with the rules in force, a config center's included
// (Directories); and reads its directory afresh from its registries
// (Lookup, as a subscription would be notified now) and explains the call
// over it with the built-in routers and the registry's route rules
// (Views: rules a config center gives are not part of those).
func (rt *Runtime) Snapshot(ctx context.Context, name, method string) (*Snapshot, error) {
	rc, ok := rt.cfg.Consumer.References[name]
	if !ok {
		return nil, fmt.Errorf("config: no reference %q in dubbo.consumer.references (have %v)", name, sortedKeys(rt.cfg.Consumer.References))
	}
	var ref *Reference
	for _, r := range rt.References() {
		if r.Name() == name {
			ref = r
		}
	}
	if ref == nil {
		return nil, fmt.Errorf("%w: %q", ErrNotReferred, name)
	}
	consumer := ref.Invoker().URL()
	inv := protocol.NewInvocation(method)
	snap := &Snapshot{Reference: name, Consumer: consumer.String(), Method: method, Available: ref.Invoker().IsAvailable(),
		Live: rt.Providers(ref), Directories: liveViews(ctx, ref.Invoker(), inv)}
	if urls := splitURLs(rc.URL); len(urls) > 0 {
		var found []*common.URL
		for _, raw := range urls {
			u, err := common.Parse(raw)
			if err != nil {
				return nil, fmt.Errorf("config: reference %s: url: %w", name, err)
			}
			found = append(found, u.WithParam(common.CategoryKey, common.ProvidersCategory))
		}
		snap.Views = append(snap.Views, explainView("", consumer, found, inv))
		return snap, nil
	}
	ids := rc.RegistryIDs
	if len(ids) == 0 {
		ids = rt.cfg.Consumer.RegistryIDs
	}
	regURLs, err := rt.cfg.ReferRegistryURLs(ids)
	if err != nil {
		return nil, err
	}
	regURLs = rt.withApplicationLevel(regURLs)
	query := consumer.WithParam(common.CategoryKey, common.ProvidersCategory+","+common.ConfiguratorsCategory+","+common.RoutersCategory)
	for _, regURL := range regURLs {
		reg := rt.trackedFor(regURL)
		shown := regURL.String()
		if reg == nil {
			snap.Views = append(snap.Views, SnapshotView{Registry: shown, Error: "registry not opened by this runtime"})
			continue
		}
		found, err := reg.Lookup(ctx, query)
		if err != nil {
			snap.Views = append(snap.Views, SnapshotView{Registry: shown, Error: err.Error()})
			continue
		}
		snap.Views = append(snap.Views, explainView(shown, consumer, found, inv))
	}
	return snap, nil
}

// withApplicationLevel adds, after each interface-level registry URL, its
// application-level one when the runtime opened it (a migrating
// reference's second level).
func (rt *Runtime) withApplicationLevel(urls []*common.URL) []*common.URL {
	out := make([]*common.URL, 0, len(urls))
	for _, u := range urls {
		out = append(out, u)
		if u.Protocol() == regprotocol.ServiceDiscoveryScheme || u.ParamOr(regprotocol.RegistryTypeKey, "") == RegistryTypeInterface {
			continue
		}
		if app := applicationLevel(u); rt.trackedFor(app) != nil {
			out = append(out, app)
		}
	}
	return out
}

// trackedFor returns the registry the runtime opened for regURL.
func (rt *Runtime) trackedFor(regURL *common.URL) *trackedRegistry {
	if regURL.Protocol() == "registry" { // registry://…?registry=x is x://…
		regURL = regURL.WithProtocol(regURL.ParamOr("registry", common.DubboProtocol)).WithoutParams("registry")
	}
	want := regURL.IdentityString()
	rt.mu.Lock()
	defer rt.mu.Unlock()
	for _, r := range rt.registries {
		if r.opened.IdentityString() == want {
			return r
		}
	}
	return nil
}

// explainView merges found as a consumer's directory would and explains
// a call of inv over the providers.
func explainView(registry string, consumer *common.URL, found []*common.URL, inv protocol.Invocation) SnapshotView {
	view := SnapshotView{Registry: registry, Reached: []string{}, Providers: []SnapshotProvider{}}
	byCategory := map[string][]*common.URL{}
	for _, u := range found {
		cat := u.Category()
		if u.Protocol() == common.RouteProtocol {
			cat = common.RoutersCategory
		}
		if u.Protocol() == common.EmptyProtocol {
			continue
		}
		byCategory[cat] = append(byCategory[cat], u)
	}
	protocols := map[string]protocol.Protocol{}
	registered := map[string]*common.URL{}
	for _, u := range byCategory[common.ProvidersCategory] {
		protocols[u.Protocol()] = urlOnlyProtocol{}
		registered[u.Address()] = u
	}
	for _, u := range byCategory[common.ConfiguratorsCategory] {
		view.Configurators = append(view.Configurators, u.String())
	}
	dir, err := directory.NewRegistry(consumer, directory.WithProtocols(protocols))
	if err != nil {
		view.Error = err.Error()
		return view
	}
	defer dir.Destroy()
	for _, cat := range []string{common.ConfiguratorsCategory, common.ProvidersCategory} {
		if list := byCategory[cat]; len(list) > 0 {
			dir.Notify(list)
		}
	}
	routers := []router.Router{router.Mock(), tag.Static()}
	for _, u := range byCategory[common.RoutersCategory] {
		view.Rules = append(view.Rules, u.String())
		r, err := router.New(u)
		if err != nil {
			view.Error = strings.TrimSpace(view.Error + "; rule skipped: " + err.Error())
			continue
		}
		routers = append(routers, r)
	}
	ex := router.Explain(routers, dir.Invokers(), consumer, inv)
	reached := map[protocol.Invoker]bool{}
	for _, r := range ex.Reached {
		reached[r] = true
		view.Reached = append(view.Reached, r.URL().Address())
	}
	for _, p := range dir.Invokers() {
		sp := SnapshotProvider{Address: p.URL().Address(), Merged: p.URL().String(), Reached: reached[p]}
		if u := registered[p.URL().Address()]; u != nil {
			sp.Registered = u.String()
		}
		if st, ok := ex.RemovedBy(p); ok {
			sp.RemovedBy = st.Rule
		}
		view.Providers = append(view.Providers, sp)
	}
	view.Steps = snapshotSteps(ex)
	view.Explanation = ex.String()
	return view
}

// urlOnlyProtocol refers invokers that only carry their URL: the snapshot
// routes over them and never calls them.
type urlOnlyProtocol struct{}

func (urlOnlyProtocol) Refer(u *common.URL) (protocol.Invoker, error) { return urlOnly{u}, nil }
func (urlOnlyProtocol) Export(protocol.Invoker) (protocol.Exporter, error) {
	return nil, errors.New("config: a snapshot exports nothing")
}
func (urlOnlyProtocol) Destroy() {}

type urlOnly struct{ url *common.URL }

func (u urlOnly) URL() *common.URL  { return u.url }
func (u urlOnly) IsAvailable() bool { return true }
func (u urlOnly) Destroy()          {}
func (u urlOnly) Invoke(context.Context, protocol.Invocation) protocol.Result {
	return protocol.ErrorResult(protocol.NewError(protocol.KindNetwork, u.url.ServiceKey(), "", u.url.Address(), "a snapshot's invoker is not called", nil))
}
