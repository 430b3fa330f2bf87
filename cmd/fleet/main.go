package main

import (
	"fmt"
	"io"
	"os"
)

const usage = `fleet — the consumer side of Apache Dubbo, from the command line

Usage:
  fleet url [--encoded] URL...   show the parts, keys and parameters of Dubbo URLs;
                                 --encoded reads URL-encoded forms (ZooKeeper node names),
                                 which are also recognised without the flag
  fleet help                     show this text
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch args[0] {
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	case "url":
		return urlCommand(args[1:], stdout, stderr)
	default:
		fmt.Fprintf(stderr, "fleet: unknown command %q (see fleet help)\n", args[0])
		return 2
	}
}
