package metrics

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestRegistryMetrics(t *testing.T) {
	m, err := New(WithApplication("app"))
	require.NoError(t, err)
	m.RecordRegister(nil)
	m.RecordRegister(nil)
	m.RecordRegister(errors.New("zk down"))
	m.RecordSubscribe(nil)
	m.RecordSubscribe(errors.New("zk down"))
	m.RecordNotify("org.example.Greeter", 3, 2*time.Millisecond)
	m.RecordNotify("org.example.Greeter", 5, 7*time.Millisecond)
	m.RecordNotify("org.example.Other", 1, time.Millisecond)

	fams := scrape(t, m.Handler())
	app := map[string]string{LabelApplication: "app"}
	for _, tc := range []struct {
		name string
		want float64
	}{
		{RegisterRequests, 3}, {RegisterRequestsSucceed, 2}, {RegisterRequestsFailed, 1},
		{SubscribeNum, 2}, {SubscribeNumSucceed, 1}, {SubscribeNumFailed, 1},
	} {
		require.Equal(t, tc.want, value(fams, tc.name, app), tc.name)
	}
	greeter := map[string]string{LabelApplication: "app", LabelInterface: "org.example.Greeter"}
	require.Equal(t, 2.0, value(fams, NotifyRequests, greeter))
	require.Equal(t, 5.0, value(fams, NotifyNumLast, greeter), "the last notification's size")
	require.Equal(t, 2.0, value(fams, NotifyRTMilliseconds, greeter), "two observations")
	require.Equal(t, 1.0, value(fams, NotifyRequests, map[string]string{LabelInterface: "org.example.Other"}))
}
