package injvm

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/protocol"
	"github.com/fleetrpc/fleet/protocol/service"
)

type greeter struct{ name string }

func (g greeter) SayHello(name string) (string, error) { return g.name + ": hello " + name, nil }

func export(t *testing.T, p *Protocol, url *common.URL, name string) protocol.Exporter {
	t.Helper()
	svc, err := service.New(url, greeter{name: name})
	require.NoError(t, err)
	e, err := p.Export(svc)
	require.NoError(t, err)
	return e
}

func call(inv protocol.Invoker) protocol.Result {
	return inv.Invoke(context.Background(), protocol.NewInvocation("sayHello", "bob"))
}

func TestReferReachesTheExporterOfItsAddress(t *testing.T) {
	p := New()
	defer p.Destroy()
	u1 := common.MustParse("injvm://127.0.0.1:1/org.Greeter?interface=org.Greeter&version=1.0")
	u2 := u1.WithPort(2)
	export(t, p, u1, "one")
	export(t, p, u2, "two")

	for _, tt := range []struct {
		url  *common.URL
		want string
	}{{u1, "one: hello bob"}, {u2, "two: hello bob"}} {
		inv, err := p.Refer(tt.url)
		require.NoError(t, err)
		require.True(t, inv.IsAvailable())
		res := call(inv)
		require.NoError(t, res.Error())
		require.Equal(t, tt.want, res.Value())
	}
}

func TestUnexportMakesInvokerUnavailable(t *testing.T) {
	p := New()
	defer p.Destroy()
	u := common.MustParse("injvm://127.0.0.1:1/org.Greeter?interface=org.Greeter")
	e := export(t, p, u, "one")
	inv, err := p.Refer(u)
	require.NoError(t, err)

	e.Unexport()
	e.Unexport()
	require.False(t, inv.IsAvailable())
	err = call(inv).Error()
	require.ErrorIs(t, err, protocol.ErrNetwork)
	require.ErrorContains(t, err, "not found exported service: 127.0.0.1:1/org.Greeter")
	require.False(t, e.Invoker().IsAvailable(), "unexport destroys the exported invoker")

	export(t, p, u, "again")
	require.True(t, inv.IsAvailable(), "an invoker reaches a service exported again")
	require.Equal(t, "again: hello bob", call(inv).Value())
}

func TestExportTwiceFails(t *testing.T) {
	p := New()
	defer p.Destroy()
	u := common.MustParse("injvm://127.0.0.1:1/org.Greeter?interface=org.Greeter")
	export(t, p, u, "one")
	svc, err := service.New(u, greeter{})
	require.NoError(t, err)
	_, err = p.Export(svc)
	require.ErrorContains(t, err, "already exported")
}

func TestCancelledContextFailsBeforeTheCall(t *testing.T) {
	p := New()
	defer p.Destroy()
	u := common.MustParse("injvm://127.0.0.1:1/org.Greeter?interface=org.Greeter")
	export(t, p, u, "one")
	inv, err := p.Refer(u)
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	require.ErrorIs(t, inv.Invoke(ctx, protocol.NewInvocation("sayHello", "x")).Error(), protocol.ErrTimeout)
}

func TestDestroy(t *testing.T) {
	p := New()
	u := common.MustParse("injvm://127.0.0.1:1/org.Greeter?interface=org.Greeter")
	e := export(t, p, u, "one")
	inv, err := p.Refer(u)
	require.NoError(t, err)
	p.Destroy()
	p.Destroy()
	require.False(t, inv.IsAvailable())
	require.False(t, e.Invoker().IsAvailable())
	require.ErrorIs(t, call(inv).Error(), protocol.ErrNetwork)
	_, err = p.Refer(u)
	require.ErrorContains(t, err, "protocol destroyed")
	_, err = p.Export(e.Invoker())
	require.ErrorContains(t, err, "protocol destroyed")
}

func TestRegisteredByName(t *testing.T) {
	p, err := protocol.Get(Name)
	require.NoError(t, err)
	require.IsType(t, &Protocol{}, p)
}
