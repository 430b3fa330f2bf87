// Command provider is the chaos suite's provider: it exports
// org.fleetrpc.chaos.Echo over dubbo:// on 127.0.0.1 and registers it in
// the ZooKeeper registry it is given, until SIGTERM or SIGINT; then it
// unregisters and exits. It prints "ready" once registered, so a test knows
// when it serves. The suite freezes (SIGSTOP) and kills (SIGKILL) it too.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/fleetrpc/fleet/common"
	_ "github.com/fleetrpc/fleet/protocol/dubbo"
	"github.com/fleetrpc/fleet/protocol/service"
	regprotocol "github.com/fleetrpc/fleet/registry/protocol"
	_ "github.com/fleetrpc/fleet/registry/zookeeper"
)

// Interface is the service the suite calls.
const Interface = "org.fleetrpc.chaos.Echo"

// Echo answers with the provider's name, so a consumer sees who served it.
type Echo struct{ name string }

// Who returns the provider's name.
func (e Echo) Who(context.Context) (string, error) { return e.name, nil }

func main() {
	reg := flag.String("registry", "", "the registry URL (zookeeper://127.0.0.1:port?group=…)")
	port := flag.Int("port", 0, "the dubbo:// port on 127.0.0.1")
	name := flag.String("name", "p", "the provider's name, its answer")
	flag.Parse()
	logger := slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo})).With("provider", *name)
	slog.SetDefault(logger)
	if err := run(*reg, *port, *name, logger); err != nil {
		fmt.Fprintln(os.Stderr, "provider:", err)
		os.Exit(1)
	}
}

func run(reg string, port int, name string, logger *slog.Logger) error {
	regURL, err := common.Parse(reg)
	if err != nil {
		return err
	}
	u, err := common.Parse(fmt.Sprintf("dubbo://127.0.0.1:%d/%s?interface=%s&methods=who&side=provider&application=chaos-%s&name=%s&dubbo=2.0.2",
		port, Interface, Interface, name, name))
	if err != nil {
		return err
	}
	svc, err := service.New(u, Echo{name: name})
	if err != nil {
		return err
	}
	p := regprotocol.New(regprotocol.WithLogger(logger))
	defer p.Destroy()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	_, err = p.Export(ctx, regURL, svc)
	cancel()
	if err != nil {
		return err
	}
	fmt.Println("ready")
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, os.Interrupt, syscall.SIGTERM)
	<-stop
	return nil
}
