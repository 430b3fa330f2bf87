package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"time"

	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/registry"
)

const lsUsage = `Usage: fleet ls REGISTRY_URL [INTERFACE] [--json]

Without INTERFACE: the services the registry holds, one per line, with how
many providers and consumers each has. With INTERFACE: that service's
providers, consumers, routers and configurators, decoded, one per line,
disabled providers included, then the rules the registry's config center
(its address, as Java's default) holds for the service, its applications
and their consumers.
`

// lookup opens the registry regURL names, looks query up in it within
// timeout, and closes it.
func lookup(regURL, query *common.URL, timeout time.Duration) ([]*common.URL, error) {
	reg, err := registry.Open(regURL)
	if err != nil {
		return nil, err
	}
	defer reg.Close()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	urls, err := reg.Lookup(ctx, query)
	if err != nil {
		return nil, fmt.Errorf("lookup in %s: %w", regURL, err)
	}
	return urls, nil
}

// lsEntry is one URL of a service, for --json.
type lsEntry struct {
	Category string            `json:"category"`
	URL      string            `json:"url"`
	Protocol string            `json:"protocol"`
	Address  string            `json:"address"`
	Service  string            `json:"service"`
	Params   map[string]string `json:"params"`
}

// lsService is one service of the registry, for --json.
type lsService struct {
	Interface string `json:"interface"`
	Providers int    `json:"providers"`
	Consumers int    `json:"consumers"`
}

func lsCommand(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("ls", lsUsage, stderr)
	asJSON := fs.Bool("json", false, "print JSON")
	timeout := fs.Duration("timeout", 10*time.Second, "how long to wait for the registry")
	pos, err := parseArgs(fs, args)
	if errors.Is(err, errHelp) {
		return 0
	}
	if err != nil {
		return 2
	}
	if len(pos) < 1 || len(pos) > 2 {
		fs.Usage()
		return 2
	}
	regURL, err := common.Parse(pos[0])
	if err != nil {
		fmt.Fprintf(stderr, "fleet: %v\n", err)
		return 2
	}
	iface := common.AnyValue
	if len(pos) == 2 {
		iface = pos[1]
	}
	query := common.NewURL("admin", "0.0.0.0", 0, iface, map[string]string{
		common.InterfaceKey: iface,
		common.GroupKey:     common.AnyValue,
		common.VersionKey:   common.AnyValue,
		"classifier":        common.AnyValue,
		common.EnabledKey:   common.AnyValue,
		common.CategoryKey:  "providers,consumers,routers,configurators",
		common.CheckKey:     "false",
	})
	urls, err := lookup(regURL, query, *timeout)
	if err != nil {
		fmt.Fprintf(stderr, "fleet: %v\n", oneLine(err))
		return 1
	}
	sort.SliceStable(urls, func(i, j int) bool { return urls[i].String() < urls[j].String() })
	if iface == common.AnyValue {
		return printServices(stdout, urls, *asJSON)
	}
	return printService(stdout, urls, *asJSON, centerRuleEntries(regURL, iface, urls, *timeout, stderr)...)
}

func printServices(w io.Writer, urls []*common.URL, asJSON bool) int {
	byIface := map[string]*lsService{}
	for _, u := range urls {
		name := u.ServiceInterface()
		s := byIface[name]
		if s == nil {
			s = &lsService{Interface: name}
			byIface[name] = s
		}
		switch u.Category() {
		case common.ProvidersCategory:
			s.Providers++
		case common.ConsumersCategory:
			s.Consumers++
		}
	}
	names := make([]string, 0, len(byIface))
	for n := range byIface {
		names = append(names, n)
	}
	sort.Strings(names)
	if asJSON {
		out := make([]*lsService, len(names))
		for i, n := range names {
			out[i] = byIface[n]
		}
		return writeJSON(w, out)
	}
	for _, n := range names {
		s := byIface[n]
		fmt.Fprintf(w, "%s\tproviders=%d\tconsumers=%d\n", n, s.Providers, s.Consumers)
	}
	return 0
}

func printService(w io.Writer, urls []*common.URL, asJSON bool, rules ...lsEntry) int {
	order := []string{common.ProvidersCategory, common.ConsumersCategory, common.RoutersCategory, common.ConfiguratorsCategory}
	entries := make([]lsEntry, 0, len(urls))
	for _, cat := range order {
		for _, u := range urls {
			if u.Category() != cat {
				continue
			}
			entries = append(entries, lsEntry{Category: cat, URL: u.String(), Protocol: u.Protocol(), Address: u.Address(), Service: u.ServiceKey(), Params: u.Params()})
		}
	}
	entries = append(entries, rules...) // lscc.go
	if asJSON {
		return writeJSON(w, entries)
	}
	for _, e := range entries {
		if e.Category == centerCategory {
			printCenterRule(w, e)
			continue
		}
		fmt.Fprintf(w, "%s\t%s\n", e.Category, decoded(e))
	}
	return 0
}

// decoded renders a URL for people: rule params decoded (route rules are
// URL-encoded inside their URL).
func decoded(e lsEntry) string {
	if rule, ok := e.Params["rule"]; ok {
		if d, err := common.Decode(rule); err == nil {
			return fmt.Sprintf("%s  [rule: %s]", e.URL, d)
		}
	}
	return e.URL
}

func writeJSON(w io.Writer, v any) int {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		fmt.Fprintf(w, "fleet: %v\n", err)
		return 1
	}
	return 0
}
