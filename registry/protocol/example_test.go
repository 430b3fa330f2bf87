package protocol_test

import (
	"context"
	"fmt"
	"log/slog"

	_ "github.com/fleetrpc/fleet/cluster" // failover
	"github.com/fleetrpc/fleet/common"
	rpc "github.com/fleetrpc/fleet/protocol"
	"github.com/fleetrpc/fleet/protocol/injvm"
	"github.com/fleetrpc/fleet/protocol/service"
	"github.com/fleetrpc/fleet/registry/protocol"
)

type Greeter struct{}

func (Greeter) SayHello(name string) (string, error) { return "hello " + name, nil }

// A provider exports a Go service through the embedded registry; a consumer
// refers it by interface and calls it through a failover cluster.
func Example() {
	ctx := context.Background()
	quiet := slog.New(slog.DiscardHandler)
	jvm := injvm.New()
	defer jvm.Destroy()

	provider := protocol.New(protocol.WithProtocol(injvm.Name, jvm), protocol.WithLogger(quiet))
	defer provider.Destroy()
	url := common.MustParse("injvm://127.0.0.1:20880/org.example.Greeter?interface=org.example.Greeter&methods=sayHello&side=provider")
	svc, _ := service.New(url, Greeter{})
	if _, err := provider.Export(ctx, common.MustParse("memory://example"), svc); err != nil {
		fmt.Println(err)
		return
	}

	consumer := protocol.New(protocol.WithProtocol(injvm.Name, jvm), protocol.WithLogger(quiet))
	defer consumer.Destroy()
	refer := common.ToQueryString(map[string]string{"interface": "org.example.Greeter", "application": "example"})
	ref, err := consumer.Refer(ctx, common.MustParse("memory://example?refer="+common.Encode(refer)))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer ref.Destroy()
	res := ref.Invoke(ctx, rpc.NewInvocation("sayHello", "world"))
	fmt.Println(res.Value(), res.Error())
	// Output: hello world <nil>
}
