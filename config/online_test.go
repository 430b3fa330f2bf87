package config

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/fleetrpc/fleet/common"
	"github.com/fleetrpc/fleet/registry"
)

// failingRegistry registers, then fails every later call.
type failingRegistry struct {
	registry.Registry // nil: only the methods below are called
	fail              bool
}

func (f *failingRegistry) URL() *common.URL {
	return common.NewURL("zookeeper", "127.0.0.1", 2181, "", nil)
}
func (f *failingRegistry) Register(context.Context, *common.URL) error {
	if f.fail {
		return errors.New("connection lost")
	}
	return nil
}
func (f *failingRegistry) Unregister(context.Context, *common.URL) error {
	if f.fail {
		return errors.New("connection lost")
	}
	return nil
}

func TestOfflineRegistryFailureKeepsState(t *testing.T) {
	inner := &failingRegistry{}
	tr := &trackedRegistry{Registry: inner, providers: map[string]*trackedURL{}, listeners: map[registry.NotifyListener]*notifyRecorder{}}
	u := common.NewURL("dubbo", "127.0.0.1", 20880, "org.example.Greeter", map[string]string{common.InterfaceKey: "org.example.Greeter"})
	require.NoError(t, tr.Register(context.Background(), u))
	consumer := common.NewURL("consumer", "127.0.0.1", 0, "org.example.Greeter", map[string]string{common.CategoryKey: common.ConsumersCategory})
	require.NoError(t, tr.Register(context.Background(), consumer))
	require.Len(t, tr.forService(u.ServiceKey()), 1, "only provider URLs are tracked")

	inner.fail = true
	n, err := tr.setOnline(context.Background(), u.ServiceKey(), false)
	require.Zero(t, n)
	require.ErrorContains(t, err, "unregister org.example.Greeter at 127.0.0.1:20880")
	require.ErrorContains(t, err, "connection lost")
	require.False(t, tr.forService(u.ServiceKey())[0].offline, "a failed offline leaves the URL online")

	inner.fail = false
	n, err = tr.setOnline(context.Background(), u.ServiceKey(), false)
	require.NoError(t, err)
	require.Equal(t, 1, n)
	inner.fail = true
	_, err = tr.setOnline(context.Background(), u.ServiceKey(), true)
	require.ErrorContains(t, err, "register org.example.Greeter")
	require.True(t, tr.forService(u.ServiceKey())[0].offline, "a failed online leaves the URL offline")
}
