package metrics

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/protocol"
)

type availInvoker struct {
	url       *common.URL
	up        atomic.Bool
	destroyed atomic.Bool
}

func (a *availInvoker) URL() *common.URL  { return a.url }
func (a *availInvoker) IsAvailable() bool { return a.up.Load() }
func (a *availInvoker) Destroy()          { a.destroyed.Store(true) }
func (a *availInvoker) Invoke(context.Context, protocol.Invocation) protocol.Result {
	return protocol.NewResult("ok", nil)
}

func TestDirectoryGauges(t *testing.T) {
	m, err := New(WithHost("h", "10.0.0.1"))
	require.NoError(t, err)
	params := map[string]string{common.InterfaceKey: "org.example.Greeter", common.VersionKey: "1.0", common.ApplicationKey: "app"}
	var invs []*availInvoker
	var wrapped []protocol.Invoker
	for _, host := range []string{"10.0.0.2", "10.0.0.3", "10.0.0.4"} {
		a := &availInvoker{url: common.NewURL("dubbo", host, 20880, "org.example.Greeter", params)}
		invs = append(invs, a)
		wrapped = append(wrapped, m.TrackProvider(a))
	}
	other := m.TrackProvider(&availInvoker{url: common.NewURL("dubbo", "10.0.0.9", 20880, "org.example.Other", nil)})
	invs[0].up.Store(true)
	invs[1].up.Store(true)

	greeter := map[string]string{LabelInterface: "org.example.Greeter", LabelVersion: "1.0", LabelApplication: "app", LabelHostname: "h"}
	fams := scrape(t, m.Handler())
	require.Equal(t, 3.0, value(fams, DirectoryAll, greeter))
	require.Equal(t, 2.0, value(fams, DirectoryValid, greeter))
	require.Equal(t, 1.0, value(fams, DirectoryToReconnect, greeter))
	require.Equal(t, 1.0, value(fams, DirectoryAll, map[string]string{LabelInterface: "org.example.Other"}))

	require.True(t, wrapped[0].IsAvailable(), "calls and state pass through")
	require.NoError(t, wrapped[0].Invoke(context.Background(), protocol.NewInvocation("x")).Error())
	wrapped[0].Destroy()
	require.True(t, invs[0].destroyed.Load())
	other.Destroy()
	fams = scrape(t, m.Handler())
	require.Equal(t, 2.0, value(fams, DirectoryAll, greeter))
	require.Equal(t, 1.0, value(fams, DirectoryValid, greeter))
	require.Equal(t, -1.0, value(fams, DirectoryAll, map[string]string{LabelInterface: "org.example.Other"}), "a service without providers leaves")
}
