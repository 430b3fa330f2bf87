package cluster_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/fleetrpc/fleet/cluster"
	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/directory"
	"github.com/fleetrpc/fleet/protocol"
)

// provider answers with its address, or fails with err.
type provider struct {
	url *common.URL
	err error
}

func (p *provider) URL() *common.URL  { return p.url }
func (p *provider) IsAvailable() bool { return true }
func (p *provider) Destroy()          {}
func (p *provider) Invoke(_ context.Context, inv protocol.Invocation) protocol.Result {
	if p.err != nil {
		return protocol.ErrorResult(protocol.NewError(protocol.KindOf(p.err), p.url.ServiceKey(), inv.MethodName(), p.url.Address(), "", p.err))
	}
	return protocol.NewResult("hello from "+p.url.Address(), nil)
}

func ExampleFailover() {
	consumer := common.MustParse("consumer://10.0.0.9/org.a.Greeter?interface=org.a.Greeter&retries=2&loadbalance=roundrobin")
	down := protocol.NewError(protocol.KindNetwork, "", "", "", "connection refused", nil)
	dir := directory.NewStatic(consumer, []protocol.Invoker{
		&provider{url: common.MustParse("dubbo://10.0.0.1:20880/org.a.Greeter?loadbalance=roundrobin"), err: down},
		&provider{url: common.MustParse("dubbo://10.0.0.2:20880/org.a.Greeter?loadbalance=roundrobin")},
	})
	ref := (&cluster.Failover{}).Join(dir)
	defer ref.Destroy()

	// The first provider fails with a network error: failover tries the
	// other one.
	res := ref.Invoke(context.Background(), protocol.NewInvocation("sayHello", "world"))
	fmt.Println(res.Value(), res.Error())
	// Output: hello from 10.0.0.2:20880 <nil>
}

func ExampleFailfast() {
	consumer := common.MustParse("consumer://10.0.0.9/org.a.Greeter?interface=org.a.Greeter")
	timeout := protocol.NewError(protocol.KindTimeout, "", "", "", "no answer in 1s", nil)
	dir := directory.NewStatic(consumer, []protocol.Invoker{
		&provider{url: common.MustParse("dubbo://10.0.0.1:20880/org.a.Greeter"), err: timeout},
	})
	ref := (&cluster.Failfast{}).Join(dir)
	defer ref.Destroy()

	err := ref.Invoke(context.Background(), protocol.NewInvocation("sayHello", "world")).Error()
	fmt.Println(errors.Is(err, protocol.ErrTimeout))
	// Output: true
}
