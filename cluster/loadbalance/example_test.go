package loadbalance_test

import (
	"context"
	"fmt"
	"time"

	"github.com/fleetrpc/fleet/cluster/loadbalance"
	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/protocol"
)

type provider struct{ url *common.URL }

func (p provider) URL() *common.URL  { return p.url }
func (p provider) IsAvailable() bool { return true }
func (p provider) Destroy()          {}
func (p provider) Invoke(context.Context, protocol.Invocation) protocol.Result {
	return protocol.NewResult(nil, nil)
}

func ExampleRoundRobin() {
	list := []protocol.Invoker{
		provider{common.MustParse("dubbo://10.0.0.1:20880/org.a.Svc?weight=5")},
		provider{common.MustParse("dubbo://10.0.0.2:20880/org.a.Svc?weight=1")},
		provider{common.MustParse("dubbo://10.0.0.3:20880/org.a.Svc?weight=1")},
	}
	lb := &loadbalance.RoundRobin{}
	for i := 0; i < 7; i++ {
		fmt.Print(lb.Select(list, nil, protocol.NewInvocation("sayHello")).URL().Host(), " ")
	}
	fmt.Println()
	// Output: 10.0.0.1 10.0.0.1 10.0.0.2 10.0.0.1 10.0.0.3 10.0.0.1 10.0.0.1
}

func ExampleConsistentHash() {
	var list []protocol.Invoker
	for i := 1; i <= 5; i++ {
		list = append(list, provider{common.MustParse(fmt.Sprintf("dubbo://10.0.0.%d:20880/org.a.Svc", i))})
	}
	lb := &loadbalance.ConsistentHash{}
	first := lb.Select(list, nil, protocol.NewInvocation("getUser", "user-42"))
	again := lb.Select(list, nil, protocol.NewInvocation("getUser", "user-42"))
	fmt.Println(first == again)
	// Output: true
}

func ExampleWeight() {
	// A provider registered 5 minutes ago, in a 10-minute warm-up, counts
	// for half its weight.
	u := common.MustParse("dubbo://10.0.0.1:20880/org.a.Svc?weight=100&timestamp=1700000000000")
	now := time.UnixMilli(1700000000000 + 300_000)
	fmt.Println(loadbalance.Weight(provider{u}, "sayHello", now))
	// Output: 50
}
