package memory_test

import (
	"context"
	"fmt"

	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/registry"
	"github.com/fleetrpc/fleet/registry/memory"
)

func Example() {
	ctx := context.Background()
	store := memory.NewStore()
	provider := store.Registry(common.MustParse("memory://example"))
	consumer := store.Registry(common.MustParse("memory://example"))
	defer consumer.Close()

	want := common.MustParse("consumer://10.0.0.9/org.a.Greeter?interface=org.a.Greeter&category=providers")
	lists := make(chan []*common.URL, 4)
	_ = consumer.Subscribe(ctx, want, registry.NotifyFunc(func(urls []*common.URL) { lists <- urls }))
	fmt.Println(<-lists)

	_ = provider.Register(ctx, common.MustParse("dubbo://10.0.0.1:20880/org.a.Greeter?interface=org.a.Greeter"))
	fmt.Println(<-lists)

	_ = provider.Close() // a closed session withdraws what it registered
	fmt.Println(<-lists)
	// Output:
	// [empty://10.0.0.9/org.a.Greeter?category=providers&interface=org.a.Greeter]
	// [dubbo://10.0.0.1:20880/org.a.Greeter?interface=org.a.Greeter]
	// [empty://10.0.0.9/org.a.Greeter?category=providers&interface=org.a.Greeter]
}
