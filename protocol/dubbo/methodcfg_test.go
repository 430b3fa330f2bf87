package dubbo

import (
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/fleetrpc/fleet/common"
)

// registryURL is a provider URL as a registry gives it, with method
// settings for sayHello and notify.
const registryURL = "dubbo://127.0.0.1:20880/org.apache.dubbo.demo.DemoService?anyhost=true&application=demo-provider" +
	"&deprecated=false&dubbo=2.0.2&dynamic=true&generic=false&interface=org.apache.dubbo.demo.DemoService" +
	"&methods=sayHello,sayHelloAsync,notify&pid=4242&release=3.2.0&service-name-mapping=true&side=provider" +
	"&timestamp=1700000000000&timeout=3000&sayHello.timeout=250&notify.return=false&version=1.0.0"

func TestMethodConfig(t *testing.T) {
	i := &invoker{url: common.MustParse(registryURL)}
	tests := []struct {
		method, real string
		want         methodConfig
		cached       bool
	}{
		{"sayHello", "sayHello", methodConfig{timeout: 250 * time.Millisecond}, true},
		{"sayHelloAsync", "sayHelloAsync", methodConfig{timeout: 3 * time.Second}, true},
		{"notify", "notify", methodConfig{timeout: 3 * time.Second, oneWay: true}, true},
		{"$invoke", "sayHello", methodConfig{timeout: 250 * time.Millisecond}, false}, // generic: not cached
	}
	for range 2 { // the second round reads the cache
		for _, tt := range tests {
			require.Equal(t, tt.want, i.methodConfig(tt.method, tt.real), tt.method)
			_, ok := (*i.methods.m.Load())[tt.method]
			require.Equal(t, tt.cached, ok, tt.method)
		}
	}
	noTimeout := &invoker{url: common.MustParse("dubbo://127.0.0.1:20880/S?x.timeout=-5")}
	require.Equal(t, methodConfig{timeout: common.DefaultTimeout}, noTimeout.methodConfig("x", "x"),
		"a timeout <= 0 is the default")
}

func TestMethodConfigBounded(t *testing.T) {
	i := &invoker{url: common.MustParse(registryURL)}
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := range 2 * maxMethodConfigs {
				c := i.methodConfig("m"+strconv.Itoa(g)+"_"+strconv.Itoa(n), "m"+strconv.Itoa(g)+"_"+strconv.Itoa(n))
				if c.timeout != 3*time.Second {
					t.Errorf("timeout %v", c.timeout)
					return
				}
			}
		}()
	}
	wg.Wait()
	require.Len(t, *i.methods.m.Load(), maxMethodConfigs)
	require.Equal(t, methodConfig{timeout: 250 * time.Millisecond}, i.methodConfig("sayHello", "sayHello"),
		"a method beyond the bound reads the URL")
}

// BenchmarkMethodConfig is a call's read of its method's timeout and
// return setting from a registry's provider URL: cached per invoker, and
// read from the URL each time (as before the cache).
func BenchmarkMethodConfig(b *testing.B) {
	u := common.MustParse(registryURL)
	b.Run("cached", func(b *testing.B) {
		i := &invoker{url: u}
		b.ReportAllocs()
		for b.Loop() {
			if i.methodConfig("sayHello", "sayHello").timeout != 250*time.Millisecond {
				b.Fatal("timeout")
			}
		}
	})
	b.Run("url", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			timeout, _ := u.MethodParamPositiveDuration("sayHello", common.TimeoutKey, common.DefaultTimeout)
			if timeout != 250*time.Millisecond || !u.MethodParamBool("sayHello", ReturnKey, true) {
				b.Fatal("timeout")
			}
		}
	})
}
