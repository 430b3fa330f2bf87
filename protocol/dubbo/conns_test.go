package dubbo

import (
	"net"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/fleetrpc/fleet/internal/testutil"
	"github.com/fleetrpc/fleet/protocol"
)

func TestSharedAndDedicatedConnections(t *testing.T) {
	server, client := newProto(t), newProto(t)
	u := provider(t, server, &userImpl{}, "")
	a, b := refer(t, client, u), refer(t, client, u.WithParam("timeout", "2000"))
	require.Same(t, clientsOf(a)[0], clientsOf(b)[0], "one shared connection per address")

	d := refer(t, client, u.WithParam("connections", "2"))
	require.Len(t, clientsOf(d), 2)
	require.NotSame(t, clientsOf(a)[0], clientsOf(d)[0])
	for range 4 {
		require.NoError(t, invoke(d, "ping", nil).Error())
	}
	for _, c := range clientsOf(d) {
		require.True(t, c.available())
	}

	// Destroying one sharer keeps the connection for the other.
	a.Destroy()
	require.NoError(t, invoke(b, "ping", nil).Error())
}

func TestOneWay(t *testing.T) {
	server, client := newProto(t), newProto(t)
	impl := &userImpl{started: make(chan struct{}, 1)}
	inv := refer(t, client, provider(t, server, impl, "").WithParam("sleep.return", "false"))
	start := time.Now()
	res := invoke(inv, "sleep", []string{"int"}, 10)
	require.NoError(t, res.Error())
	require.Nil(t, res.Value())
	select {
	case <-impl.started:
	case <-time.After(testutil.DefaultTimeout):
		t.Fatal("one-way call not delivered")
	}
	require.Less(t, time.Since(start), time.Second)
}

func TestBadRequestBody(t *testing.T) {
	server := newProto(t)
	u := provider(t, server, &userImpl{}, "")
	c, err := net.Dial("tcp", u.Address())
	require.NoError(t, err)
	defer c.Close()
	body := []byte{0x05, '2', '.', '0', '.', '2', 0x43} // a class definition cut short
	frame := AppendHeader(nil, Header{Request: true, TwoWay: true, Serialization: 2, ID: 9, BodyLen: len(body)})
	_, err = c.Write(append(frame, body...))
	require.NoError(t, err)
	h, resp := readFrameFrom(t, c)
	require.Equal(t, int64(9), h.ID)
	require.Equal(t, StatusBadRequest, h.Status)
	var r Response
	require.NoError(t, DecodeResponseBody(h, resp, &r))
	require.Contains(t, r.ErrorMessage, "Fail to decode request due to: ")
	require.Equal(t, protocol.KindSerialization, StatusKind(h.Status, r.ErrorMessage))
}

func TestOverLimitRequestClosesConnection(t *testing.T) {
	server := newProto(t)
	u := provider(t, server, &userImpl{}, "&payload=100")
	c, err := net.Dial("tcp", u.Address())
	require.NoError(t, err)
	defer c.Close()
	_, err = c.Write(AppendHeader(nil, Header{Request: true, TwoWay: true, Serialization: 2, ID: 1, BodyLen: 1000}))
	require.NoError(t, err)
	_ = c.SetReadDeadline(time.Now().Add(testutil.DefaultTimeout))
	_, err = c.Read(make([]byte, 1))
	require.Error(t, err, "the provider closes the connection")
}
