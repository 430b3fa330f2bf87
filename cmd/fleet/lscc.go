package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/configcenter"
	regprotocol "github.com/fleetrpc/fleet/registry/protocol"
)

// centerCategory is the category fleet ls shows config-center rules under.
const centerCategory = "config-center"

// centerRuleEntries reads the config-center rules that concern a service:
// the keys of its versions and groups seen in urls and of its bare
// interface, its providers' applications' tag rules and configurators, its
// consumers' applications' configurators and condition rules. The config
// center is the registry's address (Java's default) when one is
// registered for its scheme; none gives no entry. Problems go to warn.
func centerRuleEntries(regURL *common.URL, iface string, urls []*common.URL, timeout time.Duration, warn io.Writer) []lsEntry {
	u, err := centerURLFor(regURL, "")
	if err != nil || u == nil {
		return nil
	}
	keys := map[string]bool{
		iface + regprotocol.ConfiguratorsSuffix:   true,
		iface + regprotocol.ConditionRouterSuffix: true,
	}
	for _, x := range urls {
		if x.Protocol() == common.EmptyProtocol {
			continue
		}
		colon := x.ServiceInterface() + ":" + x.ParamOr(common.VersionKey, "") + ":" + x.ParamOr(common.GroupKey, "")
		keys[colon+regprotocol.ConfiguratorsSuffix] = true
		keys[colon+regprotocol.ConditionRouterSuffix] = true
		app := x.ParamOr(common.ApplicationKey, "")
		if app == "" {
			continue
		}
		switch x.Category() {
		case common.ProvidersCategory:
			keys[app+regprotocol.TagRouterSuffix] = true
			keys[app+regprotocol.ConfiguratorsSuffix] = true
		case common.ConsumersCategory:
			keys[app+regprotocol.ConfiguratorsSuffix] = true
			keys[app+regprotocol.ConditionRouterSuffix] = true
		}
	}
	sorted := make([]string, 0, len(keys))
	for k := range keys {
		sorted = append(sorted, k)
	}
	sort.Strings(sorted)
	cc, err := configcenter.Open(u)
	if err != nil {
		fmt.Fprintf(warn, "fleet: config center not read: %v\n", oneLine(err))
		return nil
	}
	defer cc.Close()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	var out []lsEntry
	for _, k := range sorted {
		s, err := cc.Get(ctx, k, "")
		if errors.Is(err, configcenter.ErrNotFound) {
			continue
		}
		if err != nil {
			fmt.Fprintf(warn, "fleet: config center: %v\n", oneLine(err))
			break
		}
		out = append(out, lsEntry{Category: centerCategory, URL: k, Service: iface, Params: map[string]string{"rule": s}})
	}
	return out
}

// printCenterRule prints a config-center rule: its key, then the rule
// indented.
func printCenterRule(w io.Writer, e lsEntry) {
	fmt.Fprintf(w, "%s\t%s\n", e.Category, e.URL)
	for _, line := range strings.Split(strings.TrimRight(e.Params["rule"], "\n"), "\n") {
		fmt.Fprintf(w, "\t  %s\n", line)
	}
}
