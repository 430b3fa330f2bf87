package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/fleetrpc/fleet/protocol"
	"github.com/fleetrpc/fleet/protocol/dubbo"
)

const invokeUsage = `Usage: fleet invoke TARGET INTERFACE METHOD [ARG_JSON...] [flags]

Calls METHOD of INTERFACE once and prints the result as JSON. TARGET is a
registry URL (zookeeper://127.0.0.1:2181: the call goes through the directory,
the routers and the cluster, as an application's would) or a provider
(dubbo://127.0.0.1:20880). Each argument is one JSON value: '"text"', 42,
true, '{"name":"bob"}'. Without --types the Java types are inferred (string →
java.lang.String, integer → long, number → double, object → java.util.Map,
array → java.util.List). POJOs need --generic: they travel as maps, with an
optional "class" key.

A remote exception prints its Java class and message and exits 1.
`

// defineCallFlags adds the reference and invocation flags invoke and bench
// share.
func defineCallFlags(fs *flag.FlagSet, o *callOptions, c *callFlags) {
	fs.StringVar(&c.types, "types", "", "Java parameter types, comma-separated (java.lang.String,long)")
	fs.BoolVar(&c.generic, "generic", false, "call through $invoke: POJOs as JSON objects")
	fs.Var(&c.attachments, "attachment", "an attachment key=value (repeatable)")
	fs.StringVar(&o.group, "group", "", "service group")
	fs.StringVar(&o.version, "version", "", "service version")
	fs.DurationVar(&o.timeout, "timeout", time.Second, "per-call timeout")
	fs.IntVar(&o.retries, "retries", 2, "failover retries (RPC errors only; business errors are never retried)")
	fs.StringVar(&o.loadbalance, "loadbalance", "", "load balancer (default random)")
	fs.StringVar(&o.cluster, "cluster", "", "cluster strategy (default failover)")
}

// callFlags are the invocation flags invoke and bench share.
type callFlags struct {
	types       string
	generic     bool
	attachments stringsFlag
}

func (c *callFlags) invocation(method string, rawArgs []string) (protocol.Invocation, error) {
	var types []string
	if c.types != "" {
		for _, t := range strings.Split(c.types, ",") {
			types = append(types, strings.TrimSpace(t))
		}
	}
	args, javaTypes, err := javaArgs(rawArgs, types)
	if err != nil {
		return nil, err
	}
	var inv *protocol.RPCInvocation
	if c.generic {
		inv = protocol.NewGenericInvocation(method, javaTypes, args)
	} else {
		inv = protocol.NewInvocation(method, args...).WithParameterTypes(javaTypes...)
	}
	atts, err := keyValues(c.attachments, "--attachment")
	if err != nil {
		return nil, err
	}
	for _, k := range slices.Sorted(maps.Keys(atts)) {
		inv = inv.WithAttachment(k, atts[k])
	}
	if c.generic {
		inv = inv.WithAttachment("generic", "true")
	}
	return inv, nil
}

func invokeCommand(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("invoke", invokeUsage, stderr)
	var o callOptions
	var c callFlags
	defineCallFlags(fs, &o, &c)
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
	target, iface, method := pos[0], pos[1], pos[2]
	inv, err := c.invocation(method, pos[3:])
	if err != nil {
		fmt.Fprintf(stderr, "fleet: %v\n", err)
		return 2
	}
	ctx, cancel := context.WithTimeout(context.Background(), o.timeout*time.Duration(o.retries+2)+10*time.Second)
	defer cancel()
	invoker, cleanup, err := referTarget(ctx, target, iface, &o)
	if err != nil {
		fmt.Fprintf(stderr, "fleet: %v\n", oneLine(err))
		return 1
	}
	defer cleanup()
	res := invoker.Invoke(ctx, inv)
	if err := res.Error(); err != nil {
		if protocol.IsBusiness(err) {
			class, msg := dubbo.ExceptionOf(err)
			fmt.Fprintf(stderr, "%s: %s\n", class, msg)
			return 1
		}
		fmt.Fprintf(stderr, "fleet: %v\n", oneLine(err))
		return 1
	}
	out, err := renderJSON(res.Value())
	if err != nil {
		fmt.Fprintf(stderr, "fleet: result is not printable as JSON: %v\n", err)
		return 1
	}
	fmt.Fprintln(stdout, out)
	return 0
}

// oneLine keeps an error message on one line.
func oneLine(err error) string {
	return strings.Join(strings.Fields(err.Error()), " ")
}
