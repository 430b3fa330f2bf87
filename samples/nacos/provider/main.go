// Command provider exports the sample's GreeterService over dubbo:// and
// registers it in Nacos, as provider.yml says, until it is stopped (SIGINT
// or SIGTERM); then it deregisters and closes gracefully.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/fleetrpc/fleet/config"
	_ "github.com/fleetrpc/fleet/protocol/dubbo"
	_ "github.com/fleetrpc/fleet/registry/nacos"
	"github.com/fleetrpc/fleet/samples/nacos/api"
)

// Greeter implements the service.
type Greeter struct{}

// SayHello greets.
func (Greeter) SayHello(_ context.Context, name string) (string, error) {
	return "Hello " + name + ", from a fleet provider in Nacos", nil
}

// GetUser returns a user, or an error Java consumers see as a
// java.lang.RuntimeException.
func (Greeter) GetUser(_ context.Context, id int64) (*api.User, error) {
	if id <= 0 {
		return nil, errors.New("no user with id " + fmt.Sprint(id))
	}
	return &api.User{ID: id, Name: "Grace", Birthday: time.Date(1906, 12, 9, 0, 0, 0, 0, time.UTC)}, nil
}

func main() {
	path := flag.String("config", "samples/nacos/provider/provider.yml", "the YAML configuration")
	flag.Parse()
	cfg, err := config.Load(*path)
	if err != nil {
		fmt.Fprintln(os.Stderr, "provider:", err)
		os.Exit(1)
	}
	rt := config.NewRuntime(cfg)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	err = rt.Export(ctx, "GreeterProvider", Greeter{})
	cancel()
	if err != nil {
		rt.Close()
		fmt.Fprintln(os.Stderr, "provider:", err)
		os.Exit(1)
	}
	fmt.Println("provider ready")
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, os.Interrupt, syscall.SIGTERM)
	<-stop
	rt.Close()
	fmt.Println("provider stopped")
}
