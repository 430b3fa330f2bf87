package main

import (
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"os"

	// The extensions the tool speaks: a program imports the extensions it
	// uses, as it would a SQL driver.
	_ "github.com/fleetrpc/fleet/configcenter/nacos"
	_ "github.com/fleetrpc/fleet/configcenter/zookeeper"
	_ "github.com/fleetrpc/fleet/protocol/dubbo"
	_ "github.com/fleetrpc/fleet/registry/memory"
	_ "github.com/fleetrpc/fleet/registry/nacos"
	// Application-level discovery (service-discovery-registry://, and
	// APPLICATION_FIRST for references through zookeeper:// and nacos://),
	// so that invoke and bench reach Dubbo 3 providers that register per
	// application.
	_ "github.com/fleetrpc/fleet/registry/servicediscovery"
	_ "github.com/fleetrpc/fleet/registry/zookeeper"
	_ "github.com/fleetrpc/fleet/router/condition"
)

const usage = `fleet — the consumer side of Apache Dubbo, from the command line

Usage:
  fleet ls REGISTRY_URL [INTERFACE]               the services of a registry, or one service's
                                                  providers, consumers, routers and configurators
  fleet invoke TARGET INTERFACE METHOD [ARGS...]  call a method once; TARGET is a registry URL
                                                  or a provider (dubbo://host:port)
  fleet route REGISTRY_URL INTERFACE              which providers a consumer reaches, and which
                                                  rule removed the others
  fleet bench TARGET INTERFACE METHOD [ARGS...]   load-test a method: calls/s, latency percentiles
  fleet rule get|put|rm CONFIG_CENTER KEY [FILE] read, write or delete a governance rule in a
                                                  config center, as dubbo-admin does
  fleet admin ADDR ls|offline|online|snapshot REF a program's admin endpoint: services, references,
                                                  online/offline, a reference's directory snapshot
  fleet url URL...                                the parts, keys and parameters of Dubbo URLs
                                                  (plain or URL-encoded, as in ZooKeeper)
  fleet help [COMMAND]                            this text, or a command's help

Run "fleet help COMMAND" or "fleet COMMAND --help" for a command's flags. FLEET_LOG=info (or debug)
shows the log, which is quiet below warnings by default.
`

func main() {
	slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: logLevel(os.Getenv("FLEET_LOG"))})))
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// logLevel reads $FLEET_LOG (debug, info, warn, error); the tool logs
// warnings and errors by default, so its output stays the answer.
func logLevel(s string) slog.Level {
	var l slog.Level
	if err := l.UnmarshalText([]byte(s)); err != nil {
		return slog.LevelWarn
	}
	return l
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch args[0] {
	case "help", "-h", "--help":
		if len(args) > 1 && args[0] == "help" {
			return commandHelp(args[1], stdout, stderr)
		}
		fmt.Fprint(stdout, usage)
		return 0
	case "url":
		return urlCommand(args[1:], stdout, stderr)
	case "ls":
		return lsCommand(args[1:], stdout, stderr)
	case "invoke":
		return invokeCommand(args[1:], stdout, stderr)
	case "route":
		return routeCommand(args[1:], stdout, stderr)
	case "bench":
		return benchCommand(args[1:], stdout, stderr)
	case "admin":
		return adminCommand(args[1:], stdout, stderr)
	case "rule":
		return ruleCommand(args[1:], stdout, stderr)
	default:
		fmt.Fprintf(stderr, "fleet: unknown command %q (see fleet help)\n", args[0])
		return 2
	}
}

// commandHelp prints the help of command (fleet help ls) on stdout, as
// "fleet ls --help" prints it (commands print their usage where they print
// errors); an unknown command is an error on stderr.
func commandHelp(command string, stdout, stderr io.Writer) int {
	var out bytes.Buffer
	code := run([]string{command, "--help"}, stdout, &out)
	if code == 0 {
		stderr = stdout
	}
	_, _ = out.WriteTo(stderr)
	return code
}
