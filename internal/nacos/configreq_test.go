package nacos_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/fleetrpc/fleet/internal/nacos"
	"github.com/fleetrpc/fleet/internal/nacos/nacostest"
)

// TestConfigRequests: config publish, get and remove through the client's
// connection, in its namespace, each visible to another client.
func TestConfigRequests(t *testing.T) {
	addr, ns := nacostest.Addr(t), nacostest.Unique(t)
	writer := client(t, addr, "namespace="+ns)
	reader := client(t, addr, "namespace="+ns)
	other := client(t, addr, "namespace="+ns+"-other")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	_, err := reader.GetConfig(ctx, "app.tag-router", "dubbo")
	require.ErrorIs(t, err, nacos.ErrConfigNotFound)

	require.NoError(t, writer.PublishConfig(ctx, "app.tag-router", "dubbo", "force: true\n"))
	require.Eventually(t, func() bool {
		got, err := reader.GetConfig(ctx, "app.tag-router", "dubbo")
		return err == nil && got == "force: true\n"
	}, 10*time.Second, 50*time.Millisecond)
	_, err = other.GetConfig(ctx, "app.tag-router", "dubbo")
	require.ErrorIs(t, err, nacos.ErrConfigNotFound, "another namespace")
	_, err = reader.GetConfig(ctx, "app.tag-router", "other-group")
	require.ErrorIs(t, err, nacos.ErrConfigNotFound, "another group")

	require.NoError(t, writer.RemoveConfig(ctx, "app.tag-router", "dubbo"))
	require.Eventually(t, func() bool {
		_, err := reader.GetConfig(ctx, "app.tag-router", "dubbo")
		return errors.Is(err, nacos.ErrConfigNotFound)
	}, 10*time.Second, 50*time.Millisecond)
	require.NoError(t, writer.RemoveConfig(ctx, "app.tag-router", "dubbo"), "removing a missing config")
}
