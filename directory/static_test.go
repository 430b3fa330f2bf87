package directory

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/protocol"
)

type stubInvoker struct {
	url       *common.URL
	available bool
	destroyed int
}

func (s *stubInvoker) URL() *common.URL  { return s.url }
func (s *stubInvoker) IsAvailable() bool { return s.available && s.destroyed == 0 }
func (s *stubInvoker) Destroy()          { s.destroyed++ }
func (s *stubInvoker) Invoke(context.Context, protocol.Invocation) protocol.Result {
	return protocol.NewResult(nil, nil)
}

func TestStaticDirectory(t *testing.T) {
	consumer := common.MustParse("consumer://10.0.0.9/org.a.Svc?interface=org.a.Svc")
	a := &stubInvoker{url: common.MustParse("dubbo://10.0.0.1:1/org.a.Svc")}
	b := &stubInvoker{url: common.MustParse("dubbo://10.0.0.2:1/org.a.Svc")}
	in := []protocol.Invoker{a, b}
	d := NewStatic(consumer, in)
	in[0] = nil // the directory keeps its own copy

	inv := protocol.NewInvocation("sayHello")
	got, err := d.List(context.Background(), inv)
	require.NoError(t, err)
	require.Equal(t, []protocol.Invoker{a, b}, got)
	require.Same(t, consumer, d.URL())
	require.False(t, d.IsAvailable(), "no invoker is available")
	b.available = true
	require.True(t, d.IsAvailable())

	d.Destroy()
	d.Destroy()
	require.Equal(t, 1, a.destroyed, "Destroy destroys each invoker once")
	require.Equal(t, 1, b.destroyed)
	require.False(t, d.IsAvailable())
	_, err = d.List(context.Background(), inv)
	require.ErrorContains(t, err, "directory already destroyed")
}
