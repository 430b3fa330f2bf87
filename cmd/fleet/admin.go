package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/fleetrpc/fleet/admin"
)

const adminUsage = `Usage: fleet admin ADDR ls|offline|online|snapshot [ARGS...]

Talks to a program's admin endpoint (dubbo.admin.port; package admin).
ADDR is host:port or http://host:port.

  fleet admin ADDR ls                       exported services, references and their providers, with state
  fleet admin ADDR offline [SERVICE...]     unregister services without stopping them (all without names)
  fleet admin ADDR online [SERVICE...]      register them again
  fleet admin ADDR snapshot REF [--method M]  the directory of reference REF as JSON: providers,
                                            merged URLs, rules, which rule removed whom
  fleet admin ADDR ready|live|startup       a probe: exit 0 when it answers 200
`

func adminCommand(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("admin", adminUsage, stderr)
	method := fs.String("method", "", "snapshot: the method called (rules on method)")
	asJSON := fs.Bool("json", false, "ls: print the endpoint's JSON")
	timeout := fs.Duration("timeout", 10*time.Second, "how long to wait for the endpoint")
	pos, err := parseArgs(fs, args)
	if errors.Is(err, errHelp) {
		return 0
	}
	if err != nil {
		return 2
	}
	if len(pos) < 2 {
		fs.Usage()
		return 2
	}
	base := strings.TrimRight(pos[0], "/")
	if !strings.Contains(base, "://") {
		base = "http://" + base
	}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	c := adminClient{base: base, ctx: ctx}
	switch op := pos[1]; op {
	case "ls":
		body, err := c.do(http.MethodGet, "/ls", nil)
		if err != nil {
			return fail(stderr, err)
		}
		if *asJSON {
			_, _ = stdout.Write(body)
			return 0
		}
		var ls admin.Listing
		if err := json.Unmarshal(body, &ls); err != nil {
			return fail(stderr, fmt.Errorf("admin ls: %w", err))
		}
		printListing(stdout, ls)
		return 0
	case "offline", "online":
		q := url.Values{}
		for _, s := range pos[2:] {
			q.Add("service", s)
		}
		body, err := c.do(http.MethodPost, "/"+op, q)
		if err != nil {
			return fail(stderr, err)
		}
		var ch admin.Changed
		if err := json.Unmarshal(body, &ch); err != nil {
			return fail(stderr, fmt.Errorf("admin %s: %w", op, err))
		}
		fmt.Fprintf(stdout, "%s: %d provider URL(s) changed\n", op, ch.Changed)
		return 0
	case "snapshot":
		if len(pos) != 3 {
			fs.Usage()
			return 2
		}
		q := url.Values{"reference": {pos[2]}}
		if *method != "" {
			q.Set("method", *method)
		}
		body, err := c.do(http.MethodGet, "/snapshot", q)
		if err != nil {
			return fail(stderr, err)
		}
		_, _ = stdout.Write(body)
		return 0
	case "ready", "live", "startup":
		body, err := c.do(http.MethodGet, "/"+op, nil)
		if err != nil {
			return fail(stderr, err)
		}
		fmt.Fprint(stdout, string(body))
		return 0
	default:
		fmt.Fprintf(stderr, "fleet: admin: unknown operation %q (ls, offline, online, snapshot, ready, live, startup)\n", op)
		return 2
	}
}

func fail(stderr io.Writer, err error) int {
	fmt.Fprintf(stderr, "fleet: %v\n", oneLine(err))
	return 1
}

type adminClient struct {
	base string
	ctx  context.Context
}

// do sends one request; an answer other than 200 is an error carrying the
// endpoint's message.
func (c adminClient) do(method, path string, q url.Values) ([]byte, error) {
	u := c.base + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	req, err := http.NewRequestWithContext(c.ctx, method, u, nil)
	if err != nil {
		return nil, fmt.Errorf("admin %s: %w", path, err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("admin %s: %w", path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return nil, fmt.Errorf("admin %s: %w", path, err)
	}
	if resp.StatusCode != http.StatusOK {
		var e admin.ErrorBody
		if json.Unmarshal(body, &e) == nil && e.Error != "" {
			return nil, fmt.Errorf("admin %s: %s: %s", path, resp.Status, e.Error)
		}
		return nil, fmt.Errorf("admin %s: %s: %s", path, resp.Status, bytes.TrimSpace(body))
	}
	return body, nil
}

func printListing(w io.Writer, ls admin.Listing) {
	fmt.Fprintf(w, "services (%d)\n", len(ls.Services))
	for _, s := range ls.Services {
		state := "online"
		switch {
		case s.Offline > 0:
			state = "offline"
		case s.Registered == 0:
			state = "not registered"
		}
		fmt.Fprintf(w, "  %-20s %-40s %s (registered %d, offline %d)\n", s.Name, s.ServiceKey, state, s.Registered, s.Offline)
	}
	fmt.Fprintf(w, "references (%d)\n", len(ls.References))
	for _, r := range ls.References {
		state := "available"
		if !r.Available {
			state = "unavailable"
		}
		fmt.Fprintf(w, "  %-20s %-40s %s, %d provider(s)\n", r.Name, r.ServiceKey, state, len(r.Providers))
		for _, p := range r.Providers {
			pstate := "available"
			if !p.Available {
				pstate = "unavailable"
			}
			if p.Outlier != "" {
				pstate += ", " + p.Outlier + " (outlier)"
			}
			fmt.Fprintf(w, "    %-21s %s\n", p.Address, pstate)
		}
	}
}
