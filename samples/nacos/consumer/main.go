// Command consumer finds the sample's GreeterService in Nacos, as
// consumer.yml says, calls it through a dubbo-go style proxy and prints the
// replies.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/fleetrpc/fleet/config"
	_ "github.com/fleetrpc/fleet/protocol/dubbo"
	_ "github.com/fleetrpc/fleet/registry/nacos"
	"github.com/fleetrpc/fleet/samples/nacos/api"
)

func main() {
	path := flag.String("config", "samples/nacos/consumer/consumer.yml", "the YAML configuration")
	flag.Parse()
	if err := run(*path); err != nil {
		fmt.Fprintln(os.Stderr, "consumer:", err)
		os.Exit(1)
	}
}

func run(path string) error {
	cfg, err := config.Load(path)
	if err != nil {
		return err
	}
	rt := config.NewRuntime(cfg)
	defer rt.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	var greeter api.GreeterClient
	if _, err := rt.ReferProxy(ctx, &greeter); err != nil {
		return err
	}
	reply, err := greeter.SayHello(ctx, "nacos")
	if err != nil {
		return err
	}
	fmt.Println(reply)
	user, err := greeter.GetUser(ctx, 7)
	if err != nil {
		return err
	}
	fmt.Printf("user %d: %s, born %s\n", user.ID, user.Name, user.Birthday.Format("2006-01-02"))
	if _, err := greeter.GetUser(ctx, -1); err != nil {
		fmt.Println("error as expected:", err)
	}
	return nil
}
