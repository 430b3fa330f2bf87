package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/fleetrpc/fleet/common"
)

const urlUsage = `Usage: fleet url [--encoded] URL...

Shows the parts, service keys and parameters of each Dubbo URL, one
parameter per line, sorted; refer= and export= parameters are decoded too.
A URL containing %3A%2F%2F (an encoded "://") is read as an encoded URL.
`

func urlCommand(args []string, stdout, stderr io.Writer) int {
	encoded := false
	var urls []string
	for _, a := range args {
		switch a {
		case "-h", "--help":
			fmt.Fprint(stdout, urlUsage)
			return 0
		case "--encoded":
			encoded = true
		default:
			urls = append(urls, a)
		}
	}
	if len(urls) == 0 {
		fmt.Fprint(stderr, urlUsage)
		return 2
	}
	for i, raw := range urls {
		var (
			u   *common.URL
			err error
		)
		if encoded || strings.Contains(strings.ToUpper(raw), "%3A%2F%2F") {
			u, err = common.ParseEncoded(raw)
		} else {
			u, err = common.Parse(raw)
		}
		if err == nil {
			err = plausible(raw, u)
		}
		if err != nil {
			fmt.Fprintf(stderr, "fleet: %v\n", err)
			return 1
		}
		if i > 0 {
			fmt.Fprintln(stdout)
		}
		describe(stdout, u, "")
	}
	return 0
}

// plausible rejects what parses, as Dubbo's lenient parser parses almost
// anything, but is no Dubbo URL: text without a protocol ("not a url" is
// the host "not a url"), or a host with characters no host name or address
// has. Registries and rules always write protocol://host….
func plausible(raw string, u *common.URL) error {
	if u.Protocol() == "" {
		return fmt.Errorf("%q is not a Dubbo URL: no protocol (want protocol://host:port/path?params)", raw)
	}
	for _, c := range u.Host() {
		ok := c == '.' || c == '-' || c == '_' || c == ':' || c == '[' || c == ']' || c == '%' || c == '*' ||
			'0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
		if !ok {
			return fmt.Errorf("%q is not a Dubbo URL: host %q contains %q", raw, u.Host(), c)
		}
	}
	return nil
}

func describe(w io.Writer, u *common.URL, indent string) {
	fmt.Fprintf(w, "%surl:         %s\n", indent, u)
	fmt.Fprintf(w, "%sprotocol:    %s\n", indent, u.Protocol())
	if u.Username() != "" {
		fmt.Fprintf(w, "%susername:    %s\n", indent, u.Username())
	}
	fmt.Fprintf(w, "%saddress:     %s\n", indent, u.Address())
	fmt.Fprintf(w, "%spath:        %s\n", indent, u.Path())
	if key := u.ServiceKey(); key != "" {
		fmt.Fprintf(w, "%sservice key: %s\n", indent, key)
	}
	fmt.Fprintf(w, "%scategory:    %s\n", indent, u.Category())
	fmt.Fprintf(w, "%sparams:\n", indent)
	u.RangeParams(func(k, v string) bool {
		fmt.Fprintf(w, "%s  %s = %s\n", indent, k, v)
		return true
	})
	if refer, err := u.ReferParams(); err != nil {
		fmt.Fprintf(w, "%srefer: %v\n", indent, err)
	} else if refer != nil {
		fmt.Fprintf(w, "%srefer (decoded):\n", indent)
		describe(w, common.NewURL("consumer", u.Host(), 0, refer[common.InterfaceKey], refer), indent+"  ")
	}
	if export, err := u.ExportURL(); err != nil {
		fmt.Fprintf(w, "%sexport: %v\n", indent, err)
	} else if export != nil {
		fmt.Fprintf(w, "%sexport (decoded):\n", indent)
		describe(w, export, indent+"  ")
	}
}
