package config

import (
	"context"
	"fmt"
	"strings"

	"github.com/fleetrpc/fleet/cluster"
	"github.com/fleetrpc/fleet/directory"
	"github.com/fleetrpc/fleet/protocol"
	regprotocol "github.com/fleetrpc/fleet/registry/protocol"
	"github.com/fleetrpc/fleet/router"
)

// registryDirectories finds the running registry directories under a
// reference's invoker, with the cluster invoker over each: one for a
// reference through one registry; one per discovery level a migrating
// reference holds (registry/protocol.Sides: interface-level, then
// application-level); one per registry under the zone-aware cluster that
// joins several; none for a reference with url set.
func registryDirectories(ctx context.Context, invoker protocol.Invoker) (dirs []*directory.RegistryDirectory, clusters []protocol.Invoker) {
	return appendDirectories(ctx, invoker, nil, nil, true, 0)
}

// callDirectories is registryDirectories with, for a migrating reference,
// only the directory its calls go to now: what metrics count, so that a
// service's rules are not counted once per discovery level.
func callDirectories(ctx context.Context, invoker protocol.Invoker) []*directory.RegistryDirectory {
	dirs, _ := appendDirectories(ctx, invoker, nil, nil, false, 0)
	return dirs
}

// maxDirectoryDepth bounds the nesting appendDirectories walks.
const maxDirectoryDepth = 4

func appendDirectories(ctx context.Context, invoker protocol.Invoker, dirs []*directory.RegistryDirectory, clusters []protocol.Invoker, sides bool, depth int) ([]*directory.RegistryDirectory, []protocol.Invoker) {
	if depth > maxDirectoryDepth {
		return dirs, clusters
	}
	if levels := regprotocol.Sides(invoker); sides && len(levels) > 0 {
		for _, s := range levels {
			dirs, clusters = appendDirectories(ctx, s, dirs, clusters, sides, depth+1)
		}
		return dirs, clusters
	}
	switch d := cluster.DirectoryOf(invoker).(type) {
	case *directory.RegistryDirectory:
		return append(dirs, d), append(clusters, invoker)
	case *directory.StaticDirectory: // several registries: one invoker each
		list, err := d.List(ctx, protocol.NewInvocation(""))
		if err != nil {
			return dirs, clusters
		}
		for _, inv := range list {
			if sides && len(regprotocol.Sides(inv)) > 0 {
				dirs, clusters = appendDirectories(ctx, inv, dirs, clusters, sides, depth+1)
			} else if rd, ok := cluster.DirectoryOf(inv).(*directory.RegistryDirectory); ok {
				dirs, clusters = append(dirs, rd), append(clusters, inv)
			}
		}
	}
	return dirs, clusters
}

// liveViews explains inv over each running directory of the reference
// whose invoker is invoker: its providers, the rules in force and the
// outlier state of its cluster.
func liveViews(ctx context.Context, invoker protocol.Invoker, inv protocol.Invocation) []SnapshotView {
	dirs, clusters := registryDirectories(ctx, invoker)
	views := []SnapshotView{}
	for i, d := range dirs {
		views = append(views, liveView(d, clusters[i], inv))
	}
	return views
}

func liveView(d *directory.RegistryDirectory, clusterInvoker protocol.Invoker, inv protocol.Invocation) SnapshotView {
	view := SnapshotView{Reached: []string{}, Providers: []SnapshotProvider{}}
	if u := d.RegistryURL(); u != nil {
		view.Registry = u.String()
	}
	configurators, routers := d.Rules()
	for _, u := range configurators {
		view.Configurators = append(view.Configurators, u.String())
	}
	for _, r := range routers {
		view.Rules = append(view.Rules, describeRouter(r))
	}
	outlier := map[string]string{}
	for _, h := range cluster.Outliers(clusterInvoker) {
		view.Outliers = append(view.Outliers, SnapshotOutlier{Address: h.Address, State: h.State, Until: h.Until,
			Ejections: h.Ejections, ConsecutiveFailures: h.ConsecutiveFailures})
		if h.State != "serving" {
			outlier[h.Address] = h.State
		}
	}
	ex, err := d.Explain(inv)
	if err != nil {
		view.Error = err.Error()
	}
	reached := map[protocol.Invoker]bool{}
	for _, r := range ex.Reached {
		reached[r] = true
		view.Reached = append(view.Reached, r.URL().Address())
	}
	for _, p := range d.Invokers() {
		sp := SnapshotProvider{Address: p.URL().Address(), Merged: p.URL().String(), Reached: reached[p],
			Outlier: outlier[p.URL().Address()]}
		if st, ok := ex.RemovedBy(p); ok {
			sp.RemovedBy = st.Rule
		}
		view.Providers = append(view.Providers, sp)
	}
	view.Steps = snapshotSteps(ex)
	if err == nil {
		view.Explanation = ex.String()
	}
	return view
}

// snapshotSteps turns an explanation's steps into the snapshot's.
func snapshotSteps(ex router.Explanation) []SnapshotStep {
	var steps []SnapshotStep
	for _, st := range ex.Steps {
		s := SnapshotStep{Rule: st.Rule, Priority: st.Router.Priority(), In: st.In, Out: st.Out, Note: st.Note, Skipped: st.Skipped}
		if st.Err != nil {
			s.Error = st.Err.Error()
		}
		for _, r := range st.Removed {
			s.Removed = append(s.Removed, r.URL().Address())
		}
		steps = append(steps, s)
	}
	return steps
}

// describeRouter names a rule as router.Explain does: its String, else
// its URL, else its type; a Sequence (a YAML rule set) followed by its
// members.
func describeRouter(r router.Router) string {
	if seq, ok := r.(router.Sequence); ok {
		members := seq.Members()
		names := make([]string, 0, len(members))
		for _, m := range members {
			names = append(names, describeOne(m))
		}
		return describeOne(r) + ": " + strings.Join(names, "; ")
	}
	return describeOne(r)
}

func describeOne(r router.Router) string {
	if s, ok := r.(fmt.Stringer); ok {
		return s.String()
	}
	if u := r.URL(); u != nil {
		return u.String()
	}
	return fmt.Sprintf("%T", r)
}

// outlierStates maps the address of each provider outlier ejection keeps
// away from the reference whose invoker is invoker to its state (ejected,
// probing), over the cluster of each of its registries.
func outlierStates(invoker protocol.Invoker) map[string]string {
	_, clusters := registryDirectories(context.Background(), invoker)
	if len(clusters) == 0 {
		clusters = []protocol.Invoker{invoker} // url set: one cluster over the providers
	}
	out := map[string]string{}
	for _, c := range clusters {
		for _, h := range cluster.Outliers(c) {
			if h.State != "serving" {
				out[h.Address] = h.State
			}
		}
	}
	return out
}
