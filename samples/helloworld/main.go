package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/fleetrpc/fleet/cluster"
	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/directory"
	"github.com/fleetrpc/fleet/protocol"
	"github.com/fleetrpc/fleet/protocol/injvm"
	"github.com/fleetrpc/fleet/protocol/service"
	"github.com/fleetrpc/fleet/registry/memory"
)

const iface = "org.apache.dubbo.demo.DemoService"

// Greeter is the service each provider exports.
type Greeter struct{ provider string }

// SayHello greets name; Java consumers call it as sayHello.
func (g *Greeter) SayHello(_ context.Context, name string) (string, error) {
	return fmt.Sprintf("Hello %s, from %s", name, g.provider), nil
}

func main() {
	if err := run(os.Stdout, 9); err != nil {
		fmt.Fprintln(os.Stderr, "helloworld:", err)
		os.Exit(1)
	}
}

type provider struct {
	name     string
	url      *common.URL
	exporter protocol.Exporter
	session  *memory.Registry
}

// run shows the whole path with calls calls before and after a provider
// stops, and fails when a call fails or the stopped provider still answers.
func run(out io.Writer, calls int) error {
	ctx := context.Background()
	store := memory.NewStore()
	proto := injvm.New()
	defer proto.Destroy()
	registryURL := common.MustParse("memory://helloworld")

	// Three providers, each exporting the service and registering it.
	var providers []*provider
	for i := 1; i <= 3; i++ {
		name := fmt.Sprintf("provider-%d", i)
		url := common.NewURL(injvm.Name, "127.0.0.1", 20880+i, iface, map[string]string{
			common.InterfaceKey:   iface,
			common.ApplicationKey: name,
			common.MethodsKey:     "sayHello",
			common.SideKey:        "provider",
		})
		svc, err := service.New(url, &Greeter{provider: name})
		if err != nil {
			return err
		}
		exp, err := proto.Export(svc)
		if err != nil {
			return err
		}
		session := store.Registry(registryURL)
		defer session.Close()
		if err := session.Register(ctx, url); err != nil {
			return err
		}
		providers = append(providers, &provider{name: name, url: url, exporter: exp, session: session})
		fmt.Fprintf(out, "exported %s\n", url)
	}

	// The consumer: look the providers up, refer each, and join them in a
	// failover cluster over a static directory.
	consumerURL := common.NewURL("consumer", "127.0.0.1", 0, iface, map[string]string{
		common.InterfaceKey:   iface,
		common.ApplicationKey: "helloworld-consumer",
		common.CategoryKey:    common.ProvidersCategory,
		common.RetriesKey:     "2",
		common.SideKey:        "consumer",
	})
	consumer := store.Registry(registryURL)
	defer consumer.Close()
	urls, err := consumer.Lookup(ctx, consumerURL)
	if err != nil {
		return err
	}
	invokers := make([]protocol.Invoker, 0, len(urls))
	for _, u := range urls {
		inv, err := proto.Refer(u)
		if err != nil {
			return err
		}
		invokers = append(invokers, inv)
	}
	fmt.Fprintf(out, "consumer found %d providers of %s\n", len(invokers), iface)
	ref := (&cluster.Failover{}).Join(directory.NewStatic(consumerURL, invokers))
	defer ref.Destroy()

	sayHello := func(name string) (string, error) {
		res := ref.Invoke(ctx, protocol.NewInvocation("sayHello", name))
		if err := res.Error(); err != nil {
			return "", err
		}
		s, _ := res.Value().(string)
		return s, nil
	}

	callAll := func(stopped string) error {
		for i := 0; i < calls; i++ {
			reply, err := sayHello(fmt.Sprintf("world #%d", i+1))
			if err != nil {
				return fmt.Errorf("call %d: %w", i+1, err)
			}
			if stopped != "" && strings.HasSuffix(reply, stopped) {
				return fmt.Errorf("call %d answered by stopped %s", i+1, stopped)
			}
			fmt.Fprintln(out, "  "+reply)
		}
		return nil
	}

	fmt.Fprintln(out, "calling with three providers:")
	if err := callAll(""); err != nil {
		return err
	}

	stopped := providers[1]
	if err := stopped.session.Unregister(ctx, stopped.url); err != nil {
		return err
	}
	stopped.exporter.Unexport()
	fmt.Fprintf(out, "stopped %s; calling again, failover skips it:\n", stopped.name)
	if err := callAll(stopped.name); err != nil {
		return err
	}

	left, err := consumer.Lookup(ctx, consumerURL)
	if err != nil {
		return err
	}
	if len(left) != 2 {
		return errors.New("the registry should list two providers after one stopped")
	}
	fmt.Fprintf(out, "the registry now lists %d providers; all %d calls succeeded\n", len(left), 2*calls)
	return nil
}
