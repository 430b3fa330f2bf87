package condition_test

import (
	"fmt"

	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/protocol"
	"github.com/fleetrpc/fleet/router"
	"github.com/fleetrpc/fleet/router/condition" // also registers router type "condition"
)

// A rule from the registry's routers category, a chain over three
// providers, and an explanation of one call.
func Example() {
	rule := common.MustParse("route://0.0.0.0/com.foo.BarService?category=routers&router=condition&force=true&rule=" +
		common.Encode("method = getFoo & application = shop => host = 10.20.3.*"))
	r, err := router.New(rule)
	if err != nil {
		fmt.Println(err)
		return
	}
	var providers []protocol.Invoker
	for _, addr := range []string{"10.20.3.3:20880", "10.20.4.1:20880", "10.20.3.4:20880"} {
		providers = append(providers, &stub{url: common.MustParse("dubbo://" + addr + "/com.foo.BarService")})
	}
	consumer := common.MustParse("consumer://10.0.0.9/com.foo.BarService?application=shop")
	chain := router.NewChain([]router.Router{r}, providers, consumer, nil)

	for _, p := range chain.Route(providers, protocol.NewInvocation("getFoo")) {
		fmt.Println("getFoo reaches", p.URL().Address())
	}
	fmt.Println("setFoo reaches", len(chain.Route(providers, protocol.NewInvocation("setFoo"))), "providers")
	fmt.Print(chain.Explain(providers, protocol.NewInvocation("getFoo")))
	// Output:
	// getFoo reaches 10.20.3.3:20880
	// getFoo reaches 10.20.3.4:20880
	// setFoo reaches 3 providers
	// consumer consumer://10.0.0.9/com.foo.BarService?application=shop
	// method getFoo
	// candidates 3
	// 1. condition "method = getFoo & application = shop => host = 10.20.3.*" force (priority 0): 3 -> 2, when matches; 2 of 3 match then
	//    removed 10.20.4.1:20880
	// reached 2
	//    10.20.3.3:20880
	//    10.20.3.4:20880
}

// Rules that do not parse are rejected with Java Dubbo's message.
func ExampleParseRule() {
	_, err := condition.ParseRule("host = 10.20.153.10 => host == 10.20.153.11")
	fmt.Println(err)
	// Output:
	// Illegal route rule "host == 10.20.153.11", The error char '==' at index 5 before "10.20.153.11".
}
