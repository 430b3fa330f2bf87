package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/configcenter"
	"github.com/fleetrpc/fleet/configurator"
	regprotocol "github.com/fleetrpc/fleet/registry/protocol"
	"github.com/fleetrpc/fleet/router/condition"
	"github.com/fleetrpc/fleet/router/tag"
)

const ruleUsage = `Usage: fleet rule get|put|rm CONFIG_CENTER_URL KEY [FILE] [--group G] [--no-check]

Reads, writes or deletes a governance rule in a config center, where
dubbo-admin keeps them: KEY is <application>.configurators,
<interface>:<version>:<group>.configurators, <…>.condition-router or
<provider application>.tag-router, in group G (default dubbo).
CONFIG_CENTER_URL is zookeeper://host:port (node /dubbo/config/G/KEY;
?namespace=… changes the root) or nacos://host:port (data id KEY); a
registry URL names its own address, as Java's default config center.

  get   prints the rule
  put   writes FILE ("-" or none: standard input); the rule is parsed first
        by its key's kind and refused when it does not parse, unless --no-check
  rm    deletes the rule (deleting a missing rule is no error)
`

func ruleCommand(args []string, stdout, stderr io.Writer) int {
	return ruleCommandIn(args, os.Stdin, stdout, stderr)
}

func ruleCommandIn(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := newFlagSet("rule", ruleUsage, stderr)
	group := fs.String("group", "", "the rules' group (default: the URL's group param, else dubbo)")
	noCheck := fs.Bool("no-check", false, "put the rule without parsing it")
	timeout := fs.Duration("timeout", 10*time.Second, "how long to wait for the config center")
	pos, err := parseArgs(fs, args)
	if errors.Is(err, errHelp) {
		return 0
	}
	if err != nil {
		return 2
	}
	if len(pos) < 3 {
		fs.Usage()
		return 2
	}
	op, raw, key := pos[0], pos[1], pos[2]
	if (op == "put" && len(pos) > 4) || (op != "put" && len(pos) > 3) {
		fs.Usage()
		return 2
	}
	u, err := common.Parse(raw)
	if err != nil {
		fmt.Fprintf(stderr, "fleet: %v\n", err)
		return 2
	}
	if u.Protocol() == regprotocol.RegistryScheme {
		u = u.WithProtocol(u.ParamOr("registry", "")).WithoutParams("registry")
	}
	if u.Has(common.GroupKey) && !u.Has(configcenter.NamespaceKey) {
		u = configcenter.FromRegistry(u) // a registry's group is the root and the group
	}
	var content []byte
	if op == "put" {
		if content, err = readRule(pos[3:], stdin); err != nil {
			fmt.Fprintf(stderr, "fleet: %v\n", err)
			return 2
		}
		if !*noCheck {
			if err := checkRule(key, content); err != nil {
				fmt.Fprintf(stderr, "fleet: %s: %v (not written; --no-check writes it anyway)\n", key, oneLine(err))
				return 1
			}
		}
	}
	switch op {
	case "get", "put", "rm":
	default:
		fmt.Fprintf(stderr, "fleet: rule: unknown operation %q (get, put, rm)\n", op)
		return 2
	}
	cc, err := configcenter.Open(u)
	if err != nil {
		fmt.Fprintf(stderr, "fleet: %v\n", err)
		return 1
	}
	defer cc.Close()
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	switch op {
	case "get":
		s, err := cc.Get(ctx, key, *group)
		if err != nil {
			fmt.Fprintf(stderr, "fleet: %v\n", oneLine(err))
			return 1
		}
		fmt.Fprint(stdout, s)
		if !strings.HasSuffix(s, "\n") {
			fmt.Fprintln(stdout)
		}
	case "put":
		if err := cc.Publish(ctx, key, *group, string(content)); err != nil {
			fmt.Fprintf(stderr, "fleet: %v\n", oneLine(err))
			return 1
		}
	case "rm":
		if err := cc.Remove(ctx, key, *group); err != nil {
			fmt.Fprintf(stderr, "fleet: %v\n", oneLine(err))
			return 1
		}
	}
	return 0
}

// readRule reads the rule to put: FILE, or standard input for "-" or none.
func readRule(files []string, stdin io.Reader) ([]byte, error) {
	if len(files) == 0 || files[0] == "-" {
		return io.ReadAll(stdin)
	}
	return os.ReadFile(files[0])
}

// checkRule parses content as the kind of rule key holds.
func checkRule(key string, content []byte) error {
	switch {
	case strings.HasSuffix(key, regprotocol.ConfiguratorsSuffix):
		_, err := configurator.ParseRules(content)
		return err
	case strings.HasSuffix(key, regprotocol.ConditionRouterSuffix):
		_, err := condition.ParseYAML(content)
		return err
	case strings.HasSuffix(key, regprotocol.TagRouterSuffix):
		_, err := tag.ParseRule(content)
		return err
	}
	if len(strings.TrimSpace(string(content))) == 0 {
		return errors.New("empty rule")
	}
	return nil
}
