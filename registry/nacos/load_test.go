package nacos_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/internal/nacos/nacostest"
	"github.com/fleetrpc/fleet/internal/testutil"
	"github.com/fleetrpc/fleet/protocol"
	_ "github.com/fleetrpc/fleet/protocol/dubbo"
	"github.com/fleetrpc/fleet/protocol/service"
	regprotocol "github.com/fleetrpc/fleet/registry/protocol"
)

type greeterImpl struct{}

func (greeterImpl) SayHello(_ context.Context, name string) (string, error) {
	return "Hello " + name, nil
}

// TestServerRestartUnderLoad: a consumer calls a provider found through
// Nacos, without pause, while the server restarts and forgets both; no
// call fails, and both are registered again.
func TestServerRestartUnderLoad(t *testing.T) {
	p := nacostest.StartPolaris(t)
	ns := nacostest.Unique(t)
	reg := "nacos://" + p.Addr() + "?namespace=" + ns + "&timeout=5000&file.cache=false&nacos.poll=500ms"
	discard := slog.New(slog.NewTextHandler(io.Discard, nil))
	rp := regprotocol.New(regprotocol.WithLogger(discard))
	t.Cleanup(rp.Destroy)
	ctx := context.Background()

	u := common.MustParse(fmt.Sprintf("dubbo://127.0.0.1:%d/%s?interface=%s&methods=sayHello&side=provider", testutil.FreePort(t), greeter, greeter))
	svc, err := service.New(u, greeterImpl{})
	require.NoError(t, err)
	exp, err := rp.Export(ctx, common.MustParse(reg), svc)
	require.NoError(t, err)
	t.Cleanup(exp.Unexport)
	obs := observer(t, p.Addr(), ns)
	hosts(t, obs, "providers:"+greeter+"::", u.Address())

	refer := common.ToQueryString(map[string]string{
		common.InterfaceKey: greeter, common.SideKey: "consumer", common.ApplicationKey: "c",
		common.TimeoutKey: "3000", common.RegisterIPKey: "127.0.0.1", "methods": "sayHello",
	})
	inv, err := rp.Refer(ctx, common.MustParse(reg).WithParam(common.ReferKey, common.Encode(refer)))
	require.NoError(t, err)
	t.Cleanup(inv.Destroy)
	call := func() error {
		return inv.Invoke(ctx, protocol.NewInvocation("sayHello", "nacos").WithParameterTypes("java.lang.String")).Error()
	}
	require.Eventually(t, func() bool { return call() == nil }, 10*time.Second, 50*time.Millisecond)

	var calls, failed atomic.Int64
	var firstErr atomic.Value
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				calls.Add(1)
				if err := call(); err != nil {
					failed.Add(1)
					firstErr.CompareAndSwap(nil, err.Error())
				}
				time.Sleep(2 * time.Millisecond)
			}
		}()
	}
	p.Restart()
	// Registered again by the provider's client, the consumer's too.
	hosts(t, obs, "providers:"+greeter+"::", u.Address())
	hosts(t, obs, "consumers:"+greeter+"::", "127.0.0.1:0")
	time.Sleep(time.Second) // calls go on after the registrations came back
	close(stop)
	wg.Wait()
	require.Positive(t, calls.Load())
	require.Zero(t, failed.Load(), "of %d calls; first error: %v", calls.Load(), firstErr.Load())
	t.Logf("%s calls, none failed", strconv.FormatInt(calls.Load(), 10))
}
