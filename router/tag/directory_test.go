package tag_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/directory"
	"github.com/fleetrpc/fleet/protocol"
	"github.com/fleetrpc/fleet/router/tag"
)

// stubProtocol refers every provider URL as a stub invoker.
type stubProtocol struct{}

func (stubProtocol) Refer(u *common.URL) (protocol.Invoker, error) { return &stub{url: u}, nil }
func (stubProtocol) Export(protocol.Invoker) (protocol.Exporter, error) {
	return nil, errors.New("not supported")
}
func (stubProtocol) Destroy() {}

// TestRuleThroughTheDirectory installs, replaces and clears a tag rule on
// a RegistryDirectory whose built-in tag router is the static one, as a
// config center does, and checks that a malformed rule leaves the one in
// force.
func TestRuleThroughTheDirectory(t *testing.T) {
	ctx := context.Background()
	const service = "com.foo.BarService"
	consumerURL := common.MustParse("consumer://10.0.0.9/" + service + "?interface=" + service + "&side=consumer&application=shop")
	d, err := directory.NewRegistry(consumerURL,
		directory.WithProtocol("dubbo", stubProtocol{}),
		directory.WithRouters(tag.Static()),
		directory.WithLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	require.NoError(t, err)
	t.Cleanup(d.Destroy)
	var urls []*common.URL
	for _, p := range []string{"10.0.0.1:20880?x=1", "10.0.0.2:20880?dubbo.tag=gray", "10.0.0.3:20880?x=1"} {
		urls = append(urls, common.MustParse("dubbo://"+p+"&interface="+service+"&application=demo-provider&side=provider"))
	}
	d.Notify(urls)
	list := func(atts ...string) []string {
		got, err := d.List(ctx, call(atts...))
		require.NoError(t, err)
		return hosts(got)
	}
	require.Equal(t, "demo-provider", tag.ProviderApplication(d.Invokers()))
	require.Equal(t, []string{"10.0.0.1", "10.0.0.3"}, list())
	require.Equal(t, []string{"10.0.0.2"}, list("dubbo.tag", "gray"))

	// Install: the rule's address overrides the static tag.
	app := tag.ProviderApplication(d.Invokers())
	r, err := tag.FromYAML(app, []byte("tags:\n  - name: gray\n    addresses: [\"10.0.0.3:20880\"]\n"))
	require.NoError(t, err)
	d.SetDynamicRouters(r)
	require.Equal(t, []string{"10.0.0.3"}, list("dubbo.tag", "gray"))
	require.Equal(t, []string{"10.0.0.1"}, list())

	// A malformed rule is rejected; the one in force stays.
	_, err = tag.FromYAML(app, []byte("tags:\n  - name: gray\n    addresses: [\"10.0.0.300\"]\n"))
	require.ErrorContains(t, err, `demo-provider.tag-router: tag rule: tag 0: gray: address: ip expression "10.0.0.300"`)
	require.Equal(t, []string{"10.0.0.3"}, list("dubbo.tag", "gray"))

	// Replace.
	r2, err := tag.FromYAML(app, []byte("force: true\ntags:\n  - name: gray\n    addresses: [\"10.0.0.1\"]\n"))
	require.NoError(t, err)
	d.SetDynamicRouters(r2)
	require.Equal(t, []string{"10.0.0.1"}, list("dubbo.tag", "gray"))

	// Clear: back to static tags.
	d.SetDynamicRouters()
	require.Equal(t, []string{"10.0.0.2"}, list("dubbo.tag", "gray"))
	require.Equal(t, []string{"10.0.0.1", "10.0.0.3"}, list())
}
